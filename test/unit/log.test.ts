import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createLogger, toLogfmt } from '../../src/log.js';

function capture(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { stream, lines };
}

describe('logging', () => {
  it('writes logfmt when asked, with levels, and redacts credentials', () => {
    const { stream, lines } = capture();
    const log = createLogger('info', 'logfmt', stream);
    log.debug('hidden');
    log.warn({ target: 'db', password: 'hunter2', headers: { authorization: 'Basic abc' } }, 'probe "failed"');
    assert.equal(lines.length, 1);
    assert.match(
      lines[0] as string,
      /^ts=\S+ caller=test\/unit\/log\.test\.js:\d+ level=warn msg="probe \\"failed\\"" target=db password=<redacted> headers\.authorization=<redacted>\n$/,
    );
    assert.doesNotMatch(lines[0] as string, /hunter2|Basic abc/);
  });

  it('writes JSON with ts, the caller and the level by name, as the Prometheus exporters do', () => {
    // The JSON logger writes to a file descriptor (synchronously): a file's, to read it back.
    const file = join(mkdtempSync(join(tmpdir(), 'spyglass-log-')), 'log.json');
    const fd = openSync(file, 'w');
    createLogger('info', 'json', { fd } as unknown as NodeJS.WritableStream)
      .child({ collector: 'cpu' })
      .info({ n: 1 }, 'x');
    closeSync(fd);
    const line = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    assert.deepEqual(Object.keys(line), ['level', 'ts', 'collector', 'caller', 'n', 'msg']);
    assert.equal(line.level, 'info');
    assert.match(line.ts as string, /^\d{4}-\d\d-\d\dT\S+Z$/);
    assert.match(line.caller as string, /^test\/unit\/log\.test\.js:\d+$/);
    const { stream, lines } = capture();
    createLogger('info', 'logfmt', stream).child({ collector: 'cpu' }).info({ n: 1 }, 'x');
    assert.match(lines[0] as string, /^ts=\S+Z caller=test\/unit\/log\.test\.js:\d+ level=info msg=x collector=cpu n=1\n$/);
  });

  it('formats any pino JSON line as logfmt, nested values flattened', () => {
    assert.equal(
      toLogfmt('{"ts":"t","caller":"src/x.js:1","level":"error","msg":"x y","n":1,"o":{"a":1,"b":{"c":"d e"}},"l":["a","b"],"m":[{"a":1}]}'),
      'ts=t caller=src/x.js:1 level=error msg="x y" n=1 o.a=1 o.b.c="d e" l=a,b m="[{\\"a\\":1}]"\n',
    );
  });
});
