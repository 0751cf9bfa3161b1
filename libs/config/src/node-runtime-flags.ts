/**
 * Node options for the API and worker processes. Their live heap is about 60 MB, but without a
 * limit V8 lets garbage pile up to 300+ MB under load before a full collection (measured under
 * the bookings benchmark); with these limits they stay near 200 MB resident at a few per cent of
 * throughput. `npm run start:api` / `start:worker` and the Dockerfile (NODE_OPTIONS) spell the
 * same flags out: keep them in step.
 */
export const NODE_RUNTIME_FLAGS = ['--max-old-space-size=256', '--max-semi-space-size=32'];
