/** Tuning of the judge. The defaults are what the simulations in test/unit/health were run with. */
export interface JudgeOptions {
  /**
   * Designed false-alarm rate of one sequential test. Half the product goal of 0.1%, because the
   * overshoot correction below brings the real rate up to about the designed one.
   */
  alpha: number;
  /** Designed rate of bad canaries that are passed. */
  beta: number;
  /** Overshoot correction of the upper boundary, in standard deviations of one interval (Siegmund's 0.583 and up). */
  overshootRho: number;
  /**
   * The smallest rise in error rate worth failing for, in absolute terms: against a baseline with
   * almost no errors, "twice the baseline" would need millions of requests to tell apart.
   */
  minErrorRateIncrease: number;
  /** Fewer usable points than this in a window is "not enough data" for series checks. */
  minPoints: number;
  /** Significance of the Mann-Whitney comparison that fails a latency check against the baseline. */
  latencyAlpha: number;
  /** Points kept per side for the latency comparison (the newest win). */
  maxLatencyPoints: number;
}

export const defaultJudgeOptions: JudgeOptions = {
  alpha: 0.0005,
  beta: 0.05,
  overshootRho: 0.7,
  minErrorRateIncrease: 0.001,
  minPoints: 3,
  latencyAlpha: 0.001,
  maxLatencyPoints: 240,
};
