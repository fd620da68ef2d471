/** Finding a Slack user for someone known only by e-mail (the merge queue's PR authors). */
export type SlackUserLookup = { kind: 'found'; userId: string } | { kind: 'not_found' } | { kind: 'not_permitted'; reason: string };

export interface SlackPeople {
  userIdByEmail(email: string): Promise<SlackUserLookup>;
}
