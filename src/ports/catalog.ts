import type { DeliveryConfig } from '../config/delivery-schema.js';

/** The services and environments of the config, as rows other tables refer to. */
export interface Catalog {
  /** Seeds (or updates) every service and environment of `config`; safe to run on every replica. */
  sync(config: DeliveryConfig, now: Date): Promise<void>;
}
