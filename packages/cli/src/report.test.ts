// Progress and table rendering: the TTY bar redraws one line, non-TTY output is one line per 10 %, tables align.
import { describe, expect, it } from 'vitest';
import { createProgress, formatDuration } from './progress.js';
import { formatTable, formatValue } from './table.js';

describe('progress', () => {
  it('plain lines per 10 % when not a TTY', () => {
    const out: string[] = [];
    const p = createProgress('pairs', 20, { write: (s: string) => out.push(s) });
    for (let i = 0; i < 20; i++) p.tick();
    p.done();
    expect(out.length).toBe(11);
    expect(out.slice(0, 2)).toEqual(['pairs: 1/20 (5%)\n', 'pairs: 2/20 (10%)\n']);
    expect(out.at(-1)).toBe('pairs: 20/20 (100%)\n');
  });

  it('a redrawn bar on a TTY, ended by a newline', () => {
    const out: string[] = [];
    const p = createProgress('x', 4, { write: (s: string) => out.push(s), isTTY: true, columns: 44 });
    p.tick(2);
    p.done();
    expect(out).toEqual(['\rx [##########---------] 2/4 50%', '\rx [###################] 4/4 100%', '\n']);
  });
});

describe('progress with rate and ETA', () => {
  it('shows items per second, the time left and a status; also prints on an interval', () => {
    let t = 0;
    const out: string[] = [];
    const p = createProgress('train', 100, { write: (s: string) => out.push(s) }, { rate: true, unit: 'steps', intervalMs: 5000, now: () => t });
    t = 4000;
    p.tick(2, 'loss 0.5000');
    t = 10_000;
    p.tick(3);
    t = 20_000;
    p.done();
    expect(out).toEqual([
      'train: 2/100 (2%) 0.50 steps/s, ETA 3m16s, loss 0.5000\n',
      'train: 5/100 (5%) 0.50 steps/s, ETA 3m10s, loss 0.5000\n',
      'train: 100/100 (100%) 5.00 steps/s, took 20s, loss 0.5000\n',
    ]);
    expect([formatDuration(59.6), formatDuration(3725), formatDuration(Number.NaN)]).toEqual(['1m00s', '1h02m', '?']);
  });
});

describe('table', () => {
  it('aligns columns and right-aligns numbers', () => {
    expect(formatTable(['metric', 'value'], [['psnr', formatValue(21.1634, undefined, 2)], ['kid', formatValue(0.0123456, 0.001)]])).toBe(
      'metric  value\n------  ---------------\npsnr              21.16\nkid     0.0123 ± 0.0010',
    );
    expect(formatValue(Infinity)).toBe('inf');
    expect(() => formatTable(['a'], [['1', '2']])).toThrow(/formatTable: a row has 2 cells but there are 1 headers/);
  });
});
