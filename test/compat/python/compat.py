"""The clickhouse-connect compatibility check of the analyst SQL port.

Run by test/compat/clients.compat.test.ts with SQL_HOST, SQL_PORT and SQL_TOKEN set; prints
one JSON object per check and exits 1 at the first failure.
"""
import json
import os
import sys

import clickhouse_connect


def report(step, value):
    print(json.dumps({"step": step, "value": value}, default=str), flush=True)


def main():
    client = clickhouse_connect.get_client(
        host=os.environ["SQL_HOST"], port=int(os.environ["SQL_PORT"]),
        username="py-analyst", password=os.environ["SQL_TOKEN"], compress=True,
    )
    report("version", client.server_version)
    rows = client.query("SELECT symbol, count() AS n FROM trades GROUP BY symbol ORDER BY symbol").result_rows
    report("query", [[s, int(n)] for s, n in rows])
    params = client.query(
        "SELECT {s:String} AS s, {n:UInt64} + 1 AS n, {xs:Array(String)} AS xs",
        parameters={"s": "it's \\ \"q\"", "n": 41, "xs": ["a'b", "c"]},
    ).result_rows
    report("parameters", [list(r) for r in params])
    df = client.query_df("SELECT symbol, sum(price) AS total FROM trades GROUP BY symbol ORDER BY symbol")
    report("query_df", {"columns": list(df.columns), "rows": len(df), "total": float(df["total"].sum())})
    arrow = client.query_arrow("SELECT number FROM numbers(1000)")
    report("query_arrow", arrow.num_rows)
    n = 0
    with client.query_rows_stream("SELECT number FROM numbers(200000)") as stream:
        for _ in stream:
            n += 1
    report("stream", n)
    try:
        client.insert("trades", [["x", 1]], column_names=["id", "price"])
        report("insert", "ACCEPTED")
        sys.exit(1)
    except Exception as e:  # noqa: BLE001 - any refusal is the expected outcome
        report("insert", str(e).splitlines()[0][:300])
    try:
        client.query("SELECT file('/proc/self/environ')")
        report("file", "ACCEPTED")
        sys.exit(1)
    except Exception as e:  # noqa: BLE001
        report("file", str(e).splitlines()[0][:300])


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001
        report("error", repr(e))
        sys.exit(1)
