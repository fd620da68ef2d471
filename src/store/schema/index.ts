// Every table of the store. Each concept keeps its own file; add an export line for a new one.
export * from './outbox.js';
export * from './requests.js';
export * from './catalog.js';
export * from './infra-sets.js';
export * from './releases.js';
export * from './merge-queue.js';
export * from './app-home.js';
