/** Diffusion posterior samplers (DPS, measurement consistency) over any `Denoiser`. */
export type { Denoiser, DenoiseVjpResult } from './denoiser.ts'
export { karrasSchedule, SCHEDULE_DEFAULTS, type ScheduleOptions } from './schedule.ts'
export { GaussianPrior, smoothSpectrum, negIndex, type GaussianBasis } from './gaussian-prior.ts'
export { withPhase, estimatePhase, type PhaseEstimateOptions } from './phase.ts'
export { SOLVERS, type Solver } from './solvers.ts'
export type { SamplerOptions, SamplerResult } from './core.ts'
export { dps, defaultZeta, DPS_DEFAULTS, type DPSOptions, type DPSStepSize } from './dps.ts'
export { measurementConsistency, MC_DEFAULTS, type MeasurementConsistencyOptions } from './measurement-consistency.ts'
