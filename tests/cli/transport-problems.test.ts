import { afterEach, describe, expect, it, vi } from 'vitest';
import { TransportProblemLog } from '../../cli/operator/transport-problems.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('TransportProblemLog', () => {
  it('prints the first problem at once, then one summary per period, and stays quiet when nothing happens', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const lines: string[] = [];
    const log = new TransportProblemLog({ where: 'udp://127.0.0.1:5004', periodMs: 10_000, write: (l) => void lines.push(l) });
    log.report(new Error('NM2 from 127.0.0.1:9: malformed: 3 bytes'));
    expect(lines).toEqual(['transport: udp://127.0.0.1:5004: NM2 from 127.0.0.1:9: malformed: 3 bytes (the transport carried on)\n']);
    // A flood of 100,000 problems within one period: one more line, at its end.
    for (let i = 0; i < 100_000; i++) log.report(new Error(`junk ${i}`));
    expect(lines).toHaveLength(1);
    vi.advanceTimersByTime(10_000);
    expect(lines[1]).toBe('transport: udp://127.0.0.1:5004: 100000 more problems in the last 10 s, the last: junk 99999 (the transport carried on)\n');
    // A quiet period: nothing; the next problem is printed at once again.
    vi.advanceTimersByTime(30_000);
    expect(lines).toHaveLength(2);
    log.report('forged Bye');
    expect(lines[2]).toBe('transport: udp://127.0.0.1:5004: forged Bye (the transport carried on)\n');
    log.report('another');
    log.close();
    expect(lines[3]).toBe('transport: udp://127.0.0.1:5004: 1 more problem in the last 10 s, the last: another (the transport carried on)\n');
    expect(lines).toHaveLength(4);
  });
});
