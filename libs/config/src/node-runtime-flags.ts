/**
 * Node options for the API and worker processes. Their live heap is about 60-80 MB, but with
 * V8's default limit (derived from the machine's memory, about 4 GB here) garbage piles up to
 * 300+ MB resident under load before full collections catch up. An explicit limit makes V8 size
 * the heap to it: 768 MB keeps them near 200 MB resident under the bookings benchmark; smaller
 * limits (256, 512) collect more often and cost the calendar's p99 a few milliseconds, and so
 * did larger young-generation semi-spaces (32 MB); measured with the benchmarks.
 * `npm run start:api` / `start:worker` and the Dockerfile (NODE_OPTIONS) spell the same flag
 * out: keep them in step.
 */
export const NODE_RUNTIME_FLAGS = ['--max-old-space-size=768'];
