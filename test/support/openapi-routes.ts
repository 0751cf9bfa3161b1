/** The API's routes as its OpenAPI document (`GET /docs-json`) lists them: tests generated from it grow with the API. */

export const HTTP_METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface OpenApiSchema {
  $ref?: string;
  /** OpenAPI 3.1: a list when null is allowed too (`['string', 'null']`). */
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  items?: OpenApiSchema;
  properties?: Record<string, OpenApiSchema>;
  required?: string[];
  allOf?: OpenApiSchema[];
  oneOf?: OpenApiSchema[];
  anyOf?: OpenApiSchema[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  pattern?: string;
  examples?: unknown[];
  default?: unknown;
  additionalProperties?: boolean | OpenApiSchema;
}

export interface OpenApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: OpenApiSchema;
}

export interface OpenApiOperation {
  summary?: string;
  parameters?: OpenApiParameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: OpenApiSchema }> };
  security?: Record<string, string[]>[];
  responses?: Record<string, unknown>;
}

export interface OpenApiDocument {
  openapi?: string;
  paths: Record<string, Partial<Record<HttpMethod, OpenApiOperation>>>;
  components?: { schemas?: Record<string, OpenApiSchema> };
}

export interface Route {
  method: HttpMethod;
  /** As the document writes it, e.g. `/v1/bookings/{id}`. */
  path: string;
  /** `POST /v1/bookings/{id}/cancel`: the name used in expectation tables. */
  name: string;
  operation: OpenApiOperation;
}

export async function fetchOpenApiDocument(baseUrl: string): Promise<OpenApiDocument> {
  const response = await fetch(`${baseUrl}/docs-json`);
  if (response.status !== 200) throw new Error(`GET /docs-json answered ${response.status}`);
  return (await response.json()) as OpenApiDocument;
}

export function routesOf(document: OpenApiDocument): Route[] {
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    HTTP_METHODS.filter((method) => operations[method]).map((method) => ({
      method,
      path,
      name: `${method.toUpperCase()} ${path}`,
      operation: operations[method] as OpenApiOperation,
    })),
  );
}

/** The schema's type, without the `null` OpenAPI 3.1 lists beside it for nullable values. */
export function typeOf(schema: OpenApiSchema | undefined): string | undefined {
  const types = [schema?.type ?? []].flat().filter((type) => type !== 'null');
  return types[0];
}

/** Resolves `$ref` and `allOf` so a schema's own properties can be read. */
export function resolveSchema(document: OpenApiDocument, schema: OpenApiSchema | undefined): OpenApiSchema | undefined {
  if (!schema) return undefined;
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    return resolveSchema(document, document.components?.schemas?.[name]);
  }
  if (schema.allOf?.length) {
    const parts = schema.allOf.map((part) => resolveSchema(document, part) ?? {});
    return {
      ...schema,
      allOf: undefined,
      type: 'object',
      properties: Object.assign({}, ...parts.map((part) => part.properties ?? {}), schema.properties ?? {}),
      required: [...parts.flatMap((part) => part.required ?? []), ...(schema.required ?? [])],
    };
  }
  return schema;
}

export function requestBodySchema(document: OpenApiDocument, route: Route): OpenApiSchema | undefined {
  return resolveSchema(document, route.operation.requestBody?.content?.['application/json']?.schema);
}
