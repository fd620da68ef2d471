import type { PlanStep, ReleaseState } from './types.js';

/** Where a release stands in its plan: the step its cursor is on, and that step's environment. */

export function currentStep(state: ReleaseState): PlanStep | undefined {
  return state.plan.steps[state.cursor];
}

/** The environment of the current step; past the last step, the end of the path. */
export function currentEnvironment(state: ReleaseState): string {
  return currentStep(state)?.environment ?? state.plan.path[state.plan.path.length - 1]!;
}
