import type { StageChart } from '../domain/health/stage-chart.js';
import type { ReleaseView } from '../domain/release/types.js';

/** Where a posted message lives, so it can be updated in place and threaded under. */
export interface MessageRef {
  channel: string;
  ts: string;
}

/**
 * Chat effects of the release engine (outbox lane 'chat'). Implemented over Slack by the Slack
 * adapter; a rate-limited Slack only delays this lane, never a rollback.
 */
export interface Chat {
  /** Posts the release card (existing = null) or updates it in place; answers where it lives. */
  publishCard(view: ReleaseView, existing: MessageRef | null): Promise<MessageRef>;
  postThreadLine(ref: MessageRef, text: string): Promise<void>;
  /** Draws a stage's chart and shares the image in the card's thread, with the chart in words as its alt text. */
  postThreadChart(ref: MessageRef, chart: StageChart): Promise<void>;
  /** A channel id/#name or a user id (direct message). */
  notify(channelOrUserId: string, text: string): Promise<void>;
}
