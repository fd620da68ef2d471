export * from './slack-emulator.js';
export { checkMessageBlocks, checkView } from './block-kit-rules.js';
export { signedHeaders, slackSignature } from './signing.js';
