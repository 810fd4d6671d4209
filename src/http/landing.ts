import type { StatusTable } from '../collector.js';
import type { EngineStatus } from '../self-metrics.js';
import { VERSION } from '../version.js';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** The landing page: each collector's state, with links to the endpoints. */
/** The schedule as configured, and what it runs at now when that differs (following the scrapers). */
function scheduleText(c: EngineStatus['collectors'][number]): string {
  const now = c.intervalMs === undefined ? undefined : `${c.intervalMs / 1000}s`;
  const lock = c.phaseLocked ? ', just before the scrapes' : '';
  return now && now !== c.schedule ? `every ${now} (scrapers' period; ${c.schedule} until one is learned)${lock}` : `${c.schedule}${lock}`;
}

export function renderLandingPage(status: EngineStatus, ready: boolean, telemetryPath = '/metrics'): string {
  const rows = status.collectors
    .map((c) => {
      const state = !c.enabled ? 'disabled' : (c.lastResult ?? 'pending');
      const cells = [
        c.name,
        c.group,
        state,
        c.enabled ? scheduleText(c) : '',
        c.lastDurationMs === undefined ? '' : `${c.lastDurationMs.toFixed(2)} ms`,
        c.enabled ? String(c.series) : '',
        c.lastError ?? '',
        c.description,
      ];
      return `<tr class="${escapeHtml(state)}">${cells.map((v) => `<td>${escapeHtml(v)}</td>`).join('')}</tr>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>spyglass</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
tr.error td:nth-child(3),tr.timeout td:nth-child(3){color:#b00;font-weight:bold}tr.success td:nth-child(3){color:#070}</style></head>
<body><h1>spyglass ${escapeHtml(VERSION)}</h1>
<p>Ready: ${ready ? 'yes' : 'no'} · config reload: ${status.reload.successful ? 'ok' : 'failed'}</p>
<ul><li><a href="${escapeHtml(telemetryPath.slice(1))}">${escapeHtml(telemetryPath)}</a></li><li><a href="healthz">/healthz</a></li><li><a href="readyz">/readyz</a></li></ul>
<table><thead><tr><th>collector</th><th>group</th><th>state</th><th>schedule</th><th>last duration</th><th>series</th><th>last error</th><th>description</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${status.remoteWrite?.length ? renderTable(remoteWriteTable(status.remoteWrite)) : ''}${status.tables.map(renderTable).join('\n')}</body></html>
`;
}

/** Each remote-write receiver: how far behind it is, what was sent, retried, refused and dropped. */
function remoteWriteTable(endpoints: NonNullable<EngineStatus['remoteWrite']>): StatusTable {
  const rows = endpoints.map((e) => {
    const c = e.queue.counters;
    const lag =
      c.highestQueuedTimestampMs && c.highestSentTimestampMs ? `${((c.highestQueuedTimestampMs - c.highestSentTimestampMs) / 1000).toFixed(0)} s` : '';
    const dropped = [...c.samplesDropped].map(([reason, n]) => `${reason}: ${n}`).join(', ');
    return [
      e.name,
      e.url,
      String(e.queue.wal.pendingSamples),
      `${(e.queue.wal.bytes / 1048576).toFixed(1)} MiB`,
      lag,
      String(c.samplesSent),
      String(c.samplesRetried),
      String(c.samplesFailed),
      dropped,
      c.lastError ? `${c.lastError} (${new Date(c.lastErrorMs ?? 0).toISOString()})` : '',
    ];
  });
  return {
    title: 'Remote write',
    columns: ['name', 'url', 'pending samples', 'queue on disk', 'behind', 'sent', 'retried', 'refused', 'dropped', 'last error'],
    rows,
  };
}

function renderTable(t: StatusTable): string {
  const head = t.columns.map((c) => `<th>${escapeHtml(c)}</th>`).join('');
  const body = t.rows.map((r) => `<tr>${r.map((v) => `<td>${escapeHtml(v)}</td>`).join('')}</tr>`).join('\n');
  return `<h2>${escapeHtml(t.title)}</h2>\n<table><thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>\n`;
}
