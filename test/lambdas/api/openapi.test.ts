import { readFileSync } from 'node:fs';
import { compileErrors, validate } from '@readme/openapi-parser';
import { describe, expect, it } from 'vitest';
import { servedRoutes } from '../../../lambdas/api/handler-factory';
import { buildOpenApiDocument } from '../../../lambdas/api/openapi';
import { OPENAPI_FILE, renderOpenApi } from '../../../scripts/gen-openapi';

describe('the OpenAPI document', () => {
  it('validates as OpenAPI 3.1 with a real validator', async () => {
    const document = buildOpenApiDocument(servedRoutes());

    // The parser mutates what it is given (dereferencing): hand it a copy.
    const result = await validate(structuredClone(document) as never);

    expect(result.valid ? '' : compileErrors(result)).toBe('');
    expect(document.openapi).toBe('3.1.0');
  });

  it('is rejected by the same validator when broken (the check can fail)', async () => {
    const broken = structuredClone(buildOpenApiDocument(servedRoutes())) as {
      paths: Record<string, unknown>;
    };
    broken.paths['/v1/alerts'] = { get: { responses: 'none' } };

    const result = await validate(broken as never);

    expect(result.valid).toBe(false);
  });

  it('documents every served route with its parameters and a problem answer for bad input', () => {
    const document = buildOpenApiDocument(servedRoutes()) as {
      paths: Record<
        string,
        { get: { parameters?: { name: string; in: string }[]; responses: Record<string, unknown> } }
      >;
    };

    expect(Object.keys(document.paths).sort()).toEqual(
      servedRoutes()
        .map((r) => r.path)
        .sort(),
    );
    const executions = document.paths['/v1/executions']!.get;
    expect(executions.parameters?.map((p) => p.name).sort()).toEqual([
      'from',
      'limit',
      'next',
      'status',
      'taskType',
      'to',
    ]);
    expect(document.paths['/v1/jobs/{jobId}']!.get.parameters).toEqual([
      expect.objectContaining({ name: 'jobId', in: 'path' }),
    ]);
    expect(Object.keys(document.paths['/v1/jobs/{jobId}']!.get.responses).sort()).toEqual([
      '200',
      '400',
      '404',
      '500',
    ]);
  });

  it(`is checked in as ${OPENAPI_FILE} (npm run openapi)`, () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(renderOpenApi());
  });
});
