import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSysfsNumber } from '../../src/parsers/sysfs-number.js';

describe('netclass', () => {
  it('reads decimal and hex sysfs numbers', () => {
    assert.equal(parseSysfsNumber('0x1003'), 4099);
    assert.equal(parseSysfsNumber('-1'), -1);
    assert.equal(parseSysfsNumber(''), undefined);
    assert.equal(parseSysfsNumber('up'), undefined);
  });
});
