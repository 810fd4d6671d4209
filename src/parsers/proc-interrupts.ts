import { parseFailure, type ParseResult } from './parse-result.js';
import { excerpt, type SkippedLine } from './skipped-line.js';
import { parseCpuHeader } from './proc-softirqs.js';

export interface InterruptCounts {
  /** The IRQ number or the kernel's short name (NMI, LOC, …). */
  type: string;
  /** For a numbered IRQ the chip and trigger (`IR-IO-APIC-edge`), else the description (`Local timer interrupts`). */
  info: string;
  /** For a numbered IRQ the devices on it (`ehci_hcd:usb1, mmc0`), else empty. */
  devices: string;
  /** Per CPU of the header, in its order. */
  counts: number[];
}

/**
 * /proc/interrupts: a `CPU0 CPU1 …` header (online CPUs only), then `NAME: count… description`.
 * `ERR:` and `MIS:` (one system-wide count, no description) are left out, as node_exporter does;
 * a line with fewer counts than the header has CPUs is skipped.
 */
export function parseInterrupts(text: string): ParseResult<{ cpus: string[]; interrupts: InterruptCounts[]; skipped: SkippedLine[] }> {
  const lines = text.split('\n');
  const cpus = parseCpuHeader(lines[0] ?? '');
  if (!cpus) return parseFailure('/proc/interrupts', 1, `expected a "CPU0 CPU1 …" header, got ${excerpt(lines[0] ?? '')}`);
  const interrupts: InterruptCounts[] = [];
  const skipped: SkippedLine[] = [];
  lines.slice(1).forEach((line, i) => {
    if (!line.trim()) return;
    const colon = line.indexOf(':');
    const type = colon < 0 ? '' : line.slice(0, colon).trim();
    const rest = line
      .slice(colon + 1)
      .trim()
      .split(/\s+/)
      .filter(Boolean);
    if ((type === 'ERR' || type === 'MIS') && rest.length <= 1) return;
    const counts = rest.slice(0, cpus.length);
    if (!type || /\s/.test(type) || counts.length < cpus.length || !counts.every((c) => /^\d+$/.test(c))) {
      skipped.push({ reason: 'garbled line', detail: `/proc/interrupts:${i + 2}: expected a name and ${cpus.length} counts: ${excerpt(line)}` });
      return;
    }
    const details = rest.slice(cpus.length);
    const numbered = /^\d+$/.test(type);
    interrupts.push({
      type,
      info: numbered ? (details[0] ?? '') : details.join(' '),
      devices: numbered ? details.slice(1).join(' ') : '',
      counts: counts.map(Number),
    });
  });
  return { ok: true, value: { cpus, interrupts, skipped } };
}
