module livehouse/bench/live/go-client

go 1.22
