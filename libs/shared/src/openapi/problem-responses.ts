import { applyDecorators } from '@nestjs/common';
import { ApiResponse } from '@nestjs/swagger';
import { codesWithStatus, PROBLEM_CATALOGUE, ProblemCode, problemSchemaName } from './problem-catalogue';

export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** The response of one status answering with any of these codes: one schema per code, told apart by `code`. */
export function problemResponse(
  status: number,
  codes: ProblemCode[],
): { description: string; content: Record<string, { schema: Record<string, unknown> }> } {
  const refs = codes.map((code) => ({ $ref: `#/components/schemas/${problemSchemaName(code)}` }));
  const schema =
    refs.length === 1
      ? refs[0]
      : {
          oneOf: refs,
          discriminator: { propertyName: 'code', mapping: Object.fromEntries(codes.map((code, index) => [code, refs[index].$ref])) },
        };
  const description = codes.map((code) => `\`${code}\`: ${PROBLEM_CATALOGUE[code].description}`).join('; ');
  return { description, content: { [PROBLEM_MEDIA_TYPE]: { schema } } };
}

/**
 * Documents the problem responses of an endpoint, by code (`'capacity_exhausted'`) or by status
 * (`409`: every code of that status). `service_unavailable` (503) applies to every endpoint;
 * 413, 415 and the path-parameter refusals are added where they apply when the document is built.
 */
export function ApiProblems(...codesOrStatuses: (ProblemCode | number)[]): MethodDecorator & ClassDecorator {
  const codes = new Set<ProblemCode>(
    [...codesOrStatuses, 'service_unavailable' as const].flatMap((entry) => (typeof entry === 'number' ? codesWithStatus(entry) : [entry])),
  );
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of codes) {
    const { status } = PROBLEM_CATALOGUE[code];
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return applyDecorators(...[...byStatus].map(([status, statusCodes]) => ApiResponse({ status, ...problemResponse(status, statusCodes) })));
}
