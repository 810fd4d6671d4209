/** Textfiles used by the parser's tests and the textfile collector's: every type, escapes, HELP and none. */
export const GOOD_A =
  '# HELP role Role of the node.\n# TYPE role gauge\nrole{role="db"} 1\nrole{dc="x",role="web"} 2\n# HELP backup_last_success_seconds Last good backup.\n# TYPE backup_last_success_seconds gauge\nbackup_last_success_seconds 1.7e+09\n';
export const GOOD_B =
  '# TYPE job_latency_seconds histogram\njob_latency_seconds_bucket{job="a",le="0.1"} 1\njob_latency_seconds_bucket{job="a",le="1"} 2\njob_latency_seconds_bucket{job="a",le="+Inf"} 3\njob_latency_seconds_sum{job="a"} 2.5\njob_latency_seconds_count{job="a"} 3\n# TYPE rpc_seconds summary\nrpc_seconds{quantile="0.5"} 0.2\nrpc_seconds{quantile="0.99"} 0.9\nrpc_seconds_sum 12\nrpc_seconds_count 40\nnot_typed{path="a \\"q\\" \\\\ b"} 7\n# TYPE jobs_total counter\njobs_total 12\n';
