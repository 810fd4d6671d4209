/** The path `dashboards/grafana-provisioning.yaml` (the committed example) points at. */
export const DEFAULT_DASHBOARD_DIR = '/var/lib/grafana/dashboards/spyglass';

/** Grafana's file-provisioning provider for the dashboards exported to `dir` (an absolute path). */
export function grafanaProvisioning(dir: string): string {
  return `# Grafana file provisioning of the spyglass dashboards: copy this file to
# /etc/grafana/provisioning/dashboards/; it points at the dashboards written by
#   spyglass dashboards export ${dir}
# The dashboards pick a Prometheus data source through their \`datasource\` variable (the default
# one first), so nothing needs substituting at import.
apiVersion: 1
providers:
  - name: spyglass
    folder: spyglass
    type: file
    disableDeletion: false
    allowUiUpdates: false
    updateIntervalSeconds: 60
    options:
      path: ${JSON.stringify(dir)}
`;
}
