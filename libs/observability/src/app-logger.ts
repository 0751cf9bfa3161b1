import { DynamicModule, Global, Injectable, LoggerService, Module } from '@nestjs/common';
import { pino, type DestinationStream, type Level, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';
import { AppConfig } from '#libs/config';
import { logSerializers, SerializedError, serializeError } from './error-serialization';

export interface RootLoggerOptions {
  /** `api` or `worker`: every line carries it, so the two can be told apart where they share a terminal. */
  name: string;
  level: string;
  format: 'json' | 'pretty';
  /** Where the lines go: stdout unless given (tests pass a stream of their own). */
  destination?: DestinationStream;
}

/**
 * The one pino logger of a process. Whatever the format, a line is first serialised by pino:
 * errors only through `logSerializers`' allow-list, and the redacted paths (credentials, should
 * a request's headers ever be logged) replaced. `pretty` only re-formats those finished JSON
 * lines for a person (pino-pretty, synchronously in this thread, so that nothing is lost when
 * the process exits), never sees anything that `json` would not have printed.
 */
export function createRootLogger(options: RootLoggerOptions): Logger {
  const output = options.destination ?? pino.destination({ dest: 1, sync: true });
  const destination =
    options.format === 'pretty'
      ? PinoPretty({
          destination: output,
          sync: true,
          translateTime: 'SYS:HH:MM:ss.l',
          ignore: 'pid,hostname,context',
          messageFormat: '{if context}[{context}] {end}{msg}',
        })
      : output;
  return pino(
    {
      name: options.name,
      level: options.level,
      serializers: logSerializers,
      redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'], censor: '[redacted]' },
    },
    destination,
  );
}

/**
 * Nest's logger (`app.useLogger`, and every `new Logger(Class.name)`) writing through the
 * process's pino logger. Nest passes the context (the class name) as the last argument; it
 * becomes the line's `context` field. An error passed as the message becomes `err`, and so does
 * the `(message, stack)` pair Nest's own exception handlers pass to `error`.
 */
@Injectable()
export class AppLogger implements LoggerService {
  constructor(readonly pino: Logger) {}

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.write('trace', message, optionalParams);
  }

  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.write('debug', message, optionalParams);
  }

  log(message: unknown, ...optionalParams: unknown[]): void {
    this.write('info', message, optionalParams);
  }

  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.write('warn', message, optionalParams);
  }

  error(message: unknown, ...optionalParams: unknown[]): void {
    this.write('error', message, optionalParams);
  }

  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.write('fatal', message, optionalParams);
  }

  private write(level: Level, message: unknown, optionalParams: unknown[]): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    let params = optionalParams;
    if (params.length > 0) {
      fields.context = params[params.length - 1];
      params = params.slice(0, -1);
    }
    if (message instanceof Error) {
      fields.err = message;
    } else if (typeof message === 'object' && message !== null) {
      Object.assign(fields, message);
    } else if (level === 'error' && typeof message === 'string' && isStackPair(params)) {
      // Nest's exception handlers call error(message, stack, context).
      const error = new Error(message);
      error.stack = params[0] as string;
      fields.err = error;
      params = [];
    } else {
      params = [String(message), ...params];
    }
    // Without a message pino would take the error's own, unfiltered: a failed statement's
    // message quotes the value it failed on. The allow-list's version of it instead.
    if (params.length === 0 && fields.err !== undefined) params = [errorMessageOf(fields.err)];
    this.pino[level](fields, ...(params as [string, ...unknown[]]));
  }
}

function errorMessageOf(error: unknown): string {
  const serialized = serializeError(error) as Partial<SerializedError> | undefined;
  return typeof serialized?.message === 'string' ? serialized.message : 'error';
}

function isStackPair(params: unknown[]): boolean {
  return params.length === 1 && typeof params[0] === 'string' && /\n\s*at /.test(params[0]);
}

/** Provides `AppLogger` for a process, from `LOG_LEVEL` and `LOG_FORMAT`. */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(name: string): DynamicModule {
    return {
      module: LoggingModule,
      providers: [
        {
          provide: AppLogger,
          inject: [AppConfig],
          useFactory: (config: AppConfig) => new AppLogger(createRootLogger({ name, level: config.LOG_LEVEL, format: config.LOG_FORMAT })),
        },
      ],
      exports: [AppLogger],
    };
  }
}
