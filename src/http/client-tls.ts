/** A client's TLS settings, as Prometheus's and blackbox_exporter's `tls_config` set them (file paths as given). */
export interface ClientTlsSettings {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  serverName?: string;
  insecureSkipVerify: boolean;
  minVersion?: TlsVersion;
  maxVersion?: TlsVersion;
}

export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';
