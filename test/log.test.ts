import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Writable } from 'node:stream';
import { createLogger, toLogfmt } from '../src/log.js';

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
    assert.match(lines[0] as string, /^time=\S+ level=warn msg="probe \\"failed\\"" target=db password=<redacted> headers=/);
    assert.doesNotMatch(lines[0] as string, /hunter2|Basic abc/);
  });

  it('formats any pino JSON line as logfmt', () => {
    assert.equal(toLogfmt('{"time":"t","level":50,"msg":"x y","n":1,"o":{"a":1}}'), 'time=t level=error msg="x y" n=1 o="{\\"a\\":1}"\n');
  });
});
