export { assessSufficiency, type Sufficiency, type SufficiencyQuestion } from './sufficiency.js';
export { combineVerdicts, judgeCheck, judgeStage, type CheckInput, type CountSamples, type SeriesSample, type StageJudgement, type StageJudgementRequest } from './judge.js';
export { defaultJudgeOptions, type JudgeOptions } from './judge-options.js';
export { resumeEvidence, type HealthEvidence } from './evidence.js';
export { expectedRequestsToFail, expectedRequestsToPass, sprtBoundaries } from './sprt.js';
export { mannWhitneyGreater } from './mann-whitney.js';
