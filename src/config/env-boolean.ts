import { z } from 'zod';

/** A switch from the config file (true/false) or the environment ("true", "1", "yes" and their opposites). */
export const envBoolean = z.union([
  z.boolean(),
  z.enum(['true', 'false', '1', '0', 'yes', 'no']).transform((v) => v === 'true' || v === '1' || v === 'yes'),
]);
