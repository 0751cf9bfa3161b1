import { Global, Module } from '@nestjs/common';
import { Clock } from './clock';

/**
 * The one `Clock` of a process, global: every module's "now" comes from the same instance, so a
 * test (or a future simulated clock) replaces it in one place. Imported once by each
 * application (apps/api, apps/worker); libraries do not provide their own.
 */
@Global()
@Module({ providers: [Clock], exports: [Clock] })
export class ClockModule {}
