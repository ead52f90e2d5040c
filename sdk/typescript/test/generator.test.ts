// The generator on a small document that uses what Vireo's own does not yet: components
// referenced by $ref, allOf, oneOf, type arrays, OpenAPI 3.0's nullable, const, typed
// additionalProperties, keys that are not identifiers.
import { it } from 'node:test';
import assert from 'node:assert/strict';
import { generate } from '../scripts/generate.js';

const document = {
  openapi: '3.1.0',
  components: {
    schemas: {
      'file-status': { type: 'string', enum: ['queued', 'done'] },
      File: {
        type: 'object', required: ['id', 'status'], additionalProperties: false, description: 'An uploaded file',
        properties: { id: { type: 'string' }, status: { $ref: '#/components/schemas/file-status' }, 'content-type': { type: ['string', 'null'] } },
      },
    },
    parameters: { Limit: { name: 'limit', in: 'query', required: false, schema: { type: 'integer' } } },
  },
  paths: {
    '/v1/files/{file_id}': {
      parameters: [{ name: 'file_id', in: 'path', required: true, schema: { type: 'string' } }],
      get: {
        operationId: 'getFile', summary: 'One file',
        parameters: [{ $ref: '#/components/parameters/Limit' }],
        responses: {
          200: { content: { 'application/json': { schema: { $ref: '#/components/schemas/File' } } } },
          202: { content: { 'application/json': { schema: { $ref: '#/components/schemas/File' } } } },
          default: { content: { 'application/json': { schema: { type: 'object' } } } },
        },
      },
      post: {
        operationId: 'updateFile',
        requestBody: { required: true, content: { 'application/json': { schema: {
          type: 'object', required: ['kind'], properties: {
            kind: { const: 'file' }, tags: { type: 'object', additionalProperties: { type: 'array', items: { type: 'integer' } } },
            note: { type: 'string', nullable: true }, either: { oneOf: [{ type: 'number' }, { type: 'boolean' }] },
            both: { allOf: [{ $ref: '#/components/schemas/File' }, { type: 'object', properties: { extra: { type: 'boolean' } } }] },
          } } } } },
        responses: { 201: { content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/File' } } } } } },
      },
    },
  },
};

it('turns schemas, parameters and operations into types and a table', () => {
  const { 'types.ts': types, 'operations.ts': table } = generate(document);
  const expected = [
    'export type FileStatus = "queued" | "done";',
    '/** An uploaded file */\nexport type File = {\n  id: string;\n  status: FileStatus;\n  "content-type": string | null;\n};',
    'export type GetFilePath = {\n  file_id: string;\n};',
    'export type GetFileQuery = {\n  limit?: number;\n};',
    'export type GetFileResponse = File;',
    '  kind: "file";\n  tags?: {\n    [key: string]: number[];\n  };\n  note?: string | null;\n  either?: number | boolean;\n',
    '  both?: File & ({\n    extra?: boolean;\n    [key: string]: unknown;\n  });\n  [key: string]: unknown;\n};',
    'export type UpdateFileResponse = File[];',
  ];
  for (const text of expected) assert.ok(types.includes(text), `types.ts lacks:\n${text}\n--- it is:\n${types}`);
  assert.ok(table.includes('"getFile": { method: "GET", path: "/v1/files/{file_id}", pathParams: ["file_id"], queryParams: ["limit"], hasBody: false, status: 200, otherStatuses: [202], requiresKey: true }'), table);
  assert.ok(table.includes('"updateFile": { path: T.UpdateFilePath; query: T.UpdateFileQuery; body: T.UpdateFileBody; response: T.UpdateFileResponse };'), table);
  assert.ok(table.includes('status: 201'), table);
});
