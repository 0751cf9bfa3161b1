import { Writable } from 'node:stream';
import { AppLogger, createRootLogger } from './app-logger';

/** What a logger wrote, line by line. */
function capture(): { stream: Writable; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  return { stream, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

/** A failed INSERT as the driver reports it: the guest's row is in `detail` and in the message. */
function failedStatement(): Error {
  return Object.assign(new Error('invalid input syntax for type date: "1931-07-23"'), {
    code: '22007',
    detail: 'Failing row contains (Zebulon Quixwhistle, ZQ8837261).',
    parameters: ['Zebulon Quixwhistle', 'ZQ8837261'],
  });
}

const SECRETS = ['1931-07-23', 'Zebulon Quixwhistle', 'ZQ8837261', 'kalma_agt_secret'];

describe('AppLogger', () => {
  for (const format of ['json', 'pretty'] as const) {
    it(`writes no personal data nor credential in ${format} lines, whatever Nest or the code hands it`, () => {
      const output = capture();
      const logger = new AppLogger(createRootLogger({ name: 'api', level: 'trace', format, destination: output.stream }));
      logger.error(failedStatement(), 'BookingsService');
      logger.error('request failed', failedStatement().stack, 'ExceptionsHandler');
      logger.warn({ err: failedStatement(), req: { headers: { authorization: 'Bearer kalma_agt_secret' } } }, 'ApiKeyGuard');
      logger.log('the bootstrap operations key is present', 'ApiKeysService');
      const text = output.lines().join('\n');
      // One entry per call (pretty ones start with their time, and print an error over several lines).
      expect(output.lines().filter((line) => (format === 'json' ? line.startsWith('{') : /^\S*\[\d\d:\d\d/.test(line)))).toHaveLength(4);
      for (const secret of SECRETS) expect(text).not.toContain(secret);
      expect(text).toContain('the bootstrap operations key is present');
      expect(text).toContain('22007');
    });
  }

  it('writes JSON lines with the context, the process name and the error under `err`', () => {
    const output = capture();
    const logger = new AppLogger(createRootLogger({ name: 'worker', level: 'info', format: 'json', destination: output.stream }));
    logger.log('swept 3 holds', 'PeriodicJobs');
    logger.error(failedStatement(), 'BookingsProcessor');
    logger.debug('not at info', 'PeriodicJobs');
    const [sweep, failure, ...rest] = output.lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(rest).toEqual([]);
    expect(sweep).toMatchObject({ level: 30, name: 'worker', context: 'PeriodicJobs', msg: 'swept 3 holds' });
    expect(failure).toMatchObject({ level: 50, context: 'BookingsProcessor', err: { type: 'Error', code: '22007' } });
    expect(failure.err).not.toHaveProperty('detail');
  });

  it('writes pretty lines for a person: level, process and context in words, no JSON', () => {
    const output = capture();
    const logger = new AppLogger(createRootLogger({ name: 'api', level: 'info', format: 'pretty', destination: output.stream }));
    logger.log('listening on port 3000', 'NestApplication');
    // eslint-disable-next-line no-control-regex
    const [line] = output.lines().map((text) => text.replace(/\u001b\[[0-9;]*m/g, ''));
    expect(line).toMatch(/INFO.*\(api\): \[NestApplication\] listening on port 3000$/);
  });
});
