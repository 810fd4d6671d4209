/**
 * The landing page (`/`, src/http/landing.ts) in a real headless browser: Debian's chromium
 * (scripts/install-test-deps.sh), driven by playwright-core. A spyglass with its default
 * collectors, one external collector that throws on every run, one that hangs past its timeout,
 * and one collector turned off: the page renders, each collector's row shows its state in the
 * state's colour, the failing one with its error, and the metrics link works. The screenshot is
 * checked to be a real PNG of the page; `SPYGLASS_UPDATE_SCREENSHOTS=1` writes it to
 * docs/landing-page.png, the one README.md links to.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext } from 'playwright-core';
import { fixture, repoRoot, startSpyglass, waitFor, type Running } from './helpers/spyglass.js';

const CHROMIUM = '/usr/bin/chromium';
// Quiet and self-contained: no network beyond 127.0.0.1, nothing kept between runs.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface Row {
  name: string;
  state: string;
  error: string;
  colour: string;
  weight: string;
}

describe('the landing page in headless chromium', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'spyglass-landing-'));
  let s: Running;
  let browser: BrowserContext;
  before(async () => {
    assert.ok(existsSync(CHROMIUM), `no ${CHROMIUM}: scripts/install-test-deps.sh installs it`);
    const config = join(tmp, 'spyglass.yml');
    writeFileSync(
      config,
      `collector_modules:
  - ${fixture('collectors/throwing.mjs')}
  - ${fixture('collectors/hanging.mjs')}
collectors:
  hanging: {interval: 2s, timeout: 1s}
  throwing: {interval: 1s}
`,
    );
    s = await startSpyglass([`--config.file=${config}`, '--no-collector.loadavg']);
    // A fresh profile (the --user-data-dir of a persistent context) for every run.
    browser = await chromium.launchPersistentContext(join(tmp, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
      viewport: { width: 1600, height: 900 },
    });
  });
  after(async () => {
    await browser?.close();
    assert.equal(await s?.stop(), 0);
    rmSync(tmp, { recursive: true, force: true });
  });

  it("renders each collector's state, the failing ones in red with their error, and links to the metrics", { timeout: 60_000 }, async () => {
    const page = await browser.newPage();
    const rows = async (): Promise<Row[]> => {
      await page.goto(`${s.base}/`);
      return page.$$eval('table:first-of-type tbody tr', (trs) =>
        trs.map((tr) => {
          const cells = [...tr.querySelectorAll('td')];
          const state = cells[2] as HTMLElement;
          const style = getComputedStyle(state);
          return {
            name: cells[0]?.textContent ?? '',
            state: state.textContent ?? '',
            error: cells[6]?.textContent ?? '',
            colour: style.color,
            weight: style.fontWeight,
          };
        }),
      );
    };
    // The hung collector reports a timeout only once its first run's deadline has passed.
    await waitFor(async () => (await rows()).find((r) => r.name === 'hanging')?.state === 'timeout', 15_000, 'the hanging collector to time out');
    assert.equal(await page.title(), 'spyglass');
    assert.match((await page.textContent('h1')) ?? '', /^spyglass \S+/);
    assert.match((await page.textContent('body')) ?? '', /Ready: yes/);

    const byName = new Map((await rows()).map((r) => [r.name, r]));
    const red = 'rgb(187, 0, 0)';
    const green = 'rgb(0, 119, 0)';
    assert.deepEqual(byName.get('throwing'), { name: 'throwing', state: 'error', error: 'boom: simulated failure', colour: red, weight: '700' });
    assert.equal(byName.get('hanging')?.colour, red);
    for (const name of ['cpu', 'meminfo', 'filesystem']) assert.deepEqual([name, byName.get(name)?.state, byName.get(name)?.colour], [name, 'success', green]);
    assert.equal(byName.get('loadavg')?.state, 'disabled', 'a collector turned off is listed as such');
    assert.notEqual(byName.get('loadavg')?.colour, red);
    for (const [name, r] of byName) assert.ok(['success', 'error', 'timeout', 'disabled', 'pending', 'skipped'].includes(r.state), `${name}: ${r.state}`);

    // Laid out: the collectors table is on screen and as wide as its content, the page does not scroll sideways.
    const table = await page.locator('table').first().boundingBox();
    assert.ok(table && table.width > 600 && table.height > 20 * byName.size, JSON.stringify(table));

    const png = await page.screenshot({ fullPage: true });
    assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');
    assert.ok(png.length > 20_000, `the screenshot has content (${png.length} bytes)`);
    if (process.env.SPYGLASS_UPDATE_SCREENSHOTS === '1') writeFileSync(`${repoRoot}docs/landing-page.png`, png);

    // The links are relative, so they work under a path prefix too; following one serves the metrics.
    await page.click('a[href="metrics"]');
    await page.waitForLoadState('load'); // the click returns once the navigation commits, before the whole body has arrived
    assert.equal(page.url(), `${s.base}/metrics`);
    assert.match((await page.textContent('body')) ?? '', /^spyglass_collector_last_success\{collector="throwing"\} 0$/m);
  });
});
