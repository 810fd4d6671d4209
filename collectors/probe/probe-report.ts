/**
 * What one probe found: blackbox_exporter's gauges (names, labels and units as blackbox emits
 * them, without the target labels the collector adds) and, on failure, the reason.
 */

/** Every gauge a prober may set, with its help text. All are gauges, as in blackbox_exporter. */
export const PROBE_GAUGES = {
  probe_success: 'Whether the probe succeeded (1) or failed (0).',
  probe_duration_seconds: 'How long the whole probe took, in seconds.',
  probe_timeout_seconds: 'The timeout the probe ran under, in seconds.',
  probe_dns_lookup_time_seconds: "Time spent resolving the target's host name, in seconds.",
  probe_ip_protocol: 'IP version of the address probed (4 or 6).',
  probe_ip_addr_hash: 'FNV-32a hash of the address probed; changes when the address does.',
  probe_http_duration_seconds: 'HTTP probe time by phase, summed over redirects, in seconds.',
  probe_http_status_code: 'Status code of the final HTTP response (0 when none arrived).',
  probe_http_content_length: 'Content-Length of the final HTTP response (-1 when absent).',
  probe_http_uncompressed_body_length: 'Bytes of the final HTTP response body read, after decompression.',
  probe_http_version: 'HTTP version of the final response.',
  probe_http_ssl: 'Whether the final HTTP request used TLS.',
  probe_http_redirects: 'Redirects followed.',
  probe_http_last_modified_timestamp_seconds: 'Last-Modified header of the final HTTP response, as a Unix time.',
  probe_failed_due_to_regex: 'Whether the probe failed because a regular expression check failed.',
  probe_failed_due_to_bytes: 'Whether the probe failed because expected bytes did not match.',
  probe_expect_info: 'Labels captured from a matched expect pattern.',
  probe_ssl_earliest_cert_expiry: 'Earliest NotAfter of the certificates the peer presented, as a Unix time.',
  probe_ssl_last_chain_expiry_timestamp_seconds: 'Earliest NotAfter of the verified chain, as a Unix time (Go zero time when unverified).',
  probe_ssl_last_chain_info: "The peer's leaf certificate, in labels.",
  probe_tls_version_info: 'TLS version negotiated.',
  probe_tls_cipher_info: 'TLS cipher suite negotiated.',
  probe_dns_duration_seconds: 'DNS probe time by phase, in seconds.',
  probe_dns_answer_rrs: 'Records in the answer section.',
  probe_dns_authority_rrs: 'Records in the authority section.',
  probe_dns_additional_rrs: 'Records in the additional section.',
  probe_dns_query_succeeded: 'Whether a DNS reply arrived (whatever its rcode).',
  probe_dns_serial: 'Serial of the zone (SOA queries).',
  probe_grpc_duration_seconds: 'gRPC probe time by phase, in seconds.',
  probe_grpc_ssl: 'Whether the gRPC connection used TLS.',
  probe_grpc_status_code: 'gRPC status code of the health check (0 = OK).',
  probe_grpc_healthcheck_response: 'Serving status the health check returned.',
  probe_icmp_duration_seconds: 'ICMP probe time by phase, in seconds.',
  probe_icmp_reply_hop_limit: 'TTL (IPv4) or hop limit (IPv6) of the echo reply.',
} as const;

export type ProbeGauge = keyof typeof PROBE_GAUGES;

export interface ProbeSample {
  labels: Readonly<Record<string, string>> | undefined;
  value: number;
}

export class ProbeReport {
  readonly gauges = new Map<ProbeGauge, ProbeSample[]>();
  /** Why the probe failed, for logs and the landing page; undefined while it has not. */
  failure: string | undefined;

  /** Sets a gauge (the sample with the same labels is replaced). */
  set(name: ProbeGauge, value: number, labels?: Record<string, string>): void {
    const samples = this.samples(name);
    const i = samples.findIndex((s) => sameLabels(s.labels, labels));
    if (i >= 0) samples[i] = { labels, value };
    else samples.push({ labels, value });
  }

  /** Adds to a gauge (phases summed over redirects). */
  add(name: ProbeGauge, value: number, labels?: Record<string, string>): void {
    const existing = this.samples(name).find((s) => sameLabels(s.labels, labels));
    this.set(name, (existing?.value ?? 0) + value, labels);
  }

  /** Records the first reason the probe failed; returns false for `return report.fail(…)`. */
  fail(reason: string): false {
    this.failure ??= reason;
    return false;
  }

  value(name: ProbeGauge, labels?: Record<string, string>): number | undefined {
    return this.gauges.get(name)?.find((s) => sameLabels(s.labels, labels))?.value;
  }

  private samples(name: ProbeGauge): ProbeSample[] {
    let s = this.gauges.get(name);
    if (!s) this.gauges.set(name, (s = []));
    return s;
  }
}

function sameLabels(a: Readonly<Record<string, string>> | undefined, b: Readonly<Record<string, string>> | undefined): boolean {
  if (a === b) return true;
  const ka = Object.keys(a ?? {});
  if (ka.length !== Object.keys(b ?? {}).length) return false;
  return ka.every((k) => a?.[k] === b?.[k]);
}
