import { describe, expect, it } from 'vitest';
import { decidePause } from '../../../src/domain/merge-queue/pause.js';

describe('a stopped line and the merge queue', () => {
  it('holds the queue even where freezes and canaries would not', () => {
    expect(decidePause({ pauseOnFreeze: false, pauseOnUnhealthyCanary: false, freezes: [], unhealthyCanaries: [], lineStop: { reason: 'line stopped by <@U0BOB>: incident 42' } })).toEqual({
      paused: true,
      code: 'line_stopped',
      message: 'the line is stopped (line stopped by <@U0BOB>: incident 42); `/unfreeze all` restarts it',
    });
  });

  it('names the stop before any freeze', () => {
    const pause = decidePause({ pauseOnFreeze: true, pauseOnUnhealthyCanary: true, freezes: [{ environment: 'production', reason: 'incident', until: null }], unhealthyCanaries: [], lineStop: { reason: 'stop' } });
    expect(pause).toMatchObject({ paused: true, code: 'line_stopped' });
    expect(decidePause({ pauseOnFreeze: false, pauseOnUnhealthyCanary: false, freezes: [], unhealthyCanaries: [], lineStop: null })).toEqual({ paused: false });
  });
});
