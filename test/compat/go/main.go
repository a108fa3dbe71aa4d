// The clickhouse-go/v2 compatibility check of the analyst SQL port, over HTTP: run by
// test/compat/clients.compat.test.ts with SQL_ADDR (host:port) and SQL_TOKEN set.
// It prints one JSON object per check and exits non-zero at the first failure.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/shopspring/decimal"
)

type row struct {
	D  decimal.Decimal `ch:"d"`
	T  time.Time       `ch:"t"`
	LC string          `ch:"lc"`
	N  uint64          `ch:"n"`
	S  string          `ch:"s"`
}

func must(step string, err error) {
	if err != nil {
		fmt.Printf("{\"step\":%q,\"error\":%q}\n", step, err.Error())
		os.Exit(1)
	}
}

func report(step string, v any) {
	b, _ := json.Marshal(map[string]any{"step": step, "value": v})
	fmt.Println(string(b))
}

func main() {
	method := clickhouse.CompressionLZ4
	if os.Getenv("SQL_COMPRESSION") == "gzip" {
		method = clickhouse.CompressionGZIP
	}
	conn, err := clickhouse.Open(&clickhouse.Options{
		Addr:        []string{os.Getenv("SQL_ADDR")},
		Protocol:    clickhouse.HTTP,
		Auth:        clickhouse.Auth{Database: "default", Username: "go-analyst", Password: os.Getenv("SQL_TOKEN")},
		Compression: &clickhouse.Compression{Method: method},
		Settings:    clickhouse.Settings{"max_execution_time": 30},
		DialTimeout: 10 * time.Second,
	})
	must("open", err)
	ctx := context.Background()
	must("ping", conn.Ping(ctx))
	report("ping", "ok")

	var version string
	must("version", conn.QueryRow(ctx, "SELECT version()").Scan(&version))
	report("version", version)

	var rows []row
	pctx := clickhouse.Context(ctx, clickhouse.WithParameters(clickhouse.Parameters{"n": "42", "s": "it's a \"test\""}))
	must("select", conn.Select(pctx, &rows, `SELECT toDecimal64(12.34, 2) AS d, toDateTime64('2024-01-02 03:04:05.678', 3, 'UTC') AS t,
		toLowCardinality('lc-value') AS lc, {n:UInt64} AS n, {s:String} AS s`))
	if len(rows) != 1 {
		must("select", fmt.Errorf("expected 1 row, got %d", len(rows)))
	}
	r := rows[0]
	report("select", map[string]any{"d": r.D.String(), "t": r.T.UTC().Format("2006-01-02T15:04:05.000Z"), "lc": r.LC, "n": r.N, "s": r.S})

	var count uint64
	must("count", conn.QueryRow(ctx, "SELECT count() FROM numbers(100000)").Scan(&count))
	report("count", count)

	err = conn.Exec(ctx, "DROP TABLE trades")
	if err == nil {
		must("refused", fmt.Errorf("DROP TABLE was accepted"))
	}
	report("refused", err.Error())
	must("close", conn.Close())
}
