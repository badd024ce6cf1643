#!/usr/bin/env node
// Rapport's Postman collection and environment, generated from the committed OpenAPI document.
//
//   node examples/postman/generate.mjs           writes rapport.postman_collection.json and
//                                                rapport.postman_environment.json beside this file
//   node examples/postman/generate.mjs --check   writes nothing; exits 1 when the committed files
//                                                differ from what it would write
//
// Node 20, standard library only. The output is deterministic: ids are hashes of names, nothing
// depends on the clock. Every request's method, path, parameters, body example, expected content
// type and response schema come from openapi/openapi.json; this file adds the order of the
// requests, the values that make a run unique, and the checks that tell the story. The generator
// refuses to write a collection that leaves an operation of the document unused, expects a status
// the document does not list for the operation, or sends a body field the schema does not know.

import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..');
const SPEC_FILE = join(ROOT, 'openapi', 'openapi.json');
const COLLECTION_FILE = join(HERE, 'rapport.postman_collection.json');
const ENVIRONMENT_FILE = join(HERE, 'rapport.postman_environment.json');

class GeneratorError extends Error {}
const fail = (message) => {
  throw new GeneratorError(message);
};

// ---------------------------------------------------------------------------------------------
// Operations of the document
// ---------------------------------------------------------------------------------------------

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

/** A parameter, request body, response or header, following a $ref into components. */
function component(value, kind, seen = []) {
  if (!value?.$ref) return value;
  const prefix = `#/components/${kind}/`;
  if (!value.$ref.startsWith(prefix)) fail(`unsupported $ref ${value.$ref} where ${kind} belong`);
  const name = value.$ref.slice(prefix.length);
  const target = spec.components?.[kind]?.[name];
  if (!target || seen.includes(name)) fail(`$ref ${value.$ref} cannot be resolved`);
  return component(target, kind, [...seen, name]);
}

let spec; // the OpenAPI document
let SCHEMAS; // its components.schemas
/** operationId → { id, method, path, op, parameters } for every operation in the document. */
const OPERATIONS = new Map();

function load() {
  try {
    spec = JSON.parse(readFileSync(SPEC_FILE, 'utf8'));
  } catch (e) {
    fail(`cannot read ${relative(process.cwd(), SPEC_FILE)}: ${e.message}`);
  }
  if (!String(spec.openapi).startsWith('3.1')) fail(`expected an OpenAPI 3.1 document, found ${spec.openapi}`);
  SCHEMAS = spec.components?.schemas ?? {};
  for (const [path, item] of Object.entries(spec.paths ?? {})) {
    for (const method of METHODS) {
      if (!item[method]) continue;
      const op = {
        ...item[method],
        requestBody: component(item[method].requestBody, 'requestBodies'),
        responses: Object.fromEntries(
          Object.entries(item[method].responses ?? {}).map(([status, value]) => {
            const response = component(value, 'responses');
            const headers = Object.entries(response.headers ?? {}).map(([h, x]) => [h, component(x, 'headers')]);
            return [status, { ...response, headers: Object.fromEntries(headers) }];
          }),
        ),
      };
      if (!op.operationId) fail(`${method.toUpperCase()} ${path} has no operationId`);
      if (OPERATIONS.has(op.operationId)) fail(`operationId ${op.operationId} is used twice`);
      const parameters = [...(item.parameters ?? []), ...(item[method].parameters ?? [])].map((p) =>
        component(p, 'parameters'),
      );
      OPERATIONS.set(op.operationId, { id: op.operationId, method: method.toUpperCase(), path, op, parameters });
    }
  }
}

// ---------------------------------------------------------------------------------------------
// JSON Schema: OpenAPI 3.1 schemas → self-contained schemas for the Ajv (6, JSON Schema draft-07)
// that Postman's sandbox runs behind pm.response.to.have.jsonSchema
// ---------------------------------------------------------------------------------------------

// Formats Ajv 6 knows; others (OpenAPI's int64, utoipa's u-int64 …) would make it throw at compile
// time. They only narrow integers, which `type` and `minimum` already check, so they are dropped.
const AJV6_FORMATS = new Set([
  'date', 'time', 'date-time', 'uri', 'uri-reference', 'uri-template', 'url', 'email', 'hostname',
  'ipv4', 'ipv6', 'regex', 'uuid', 'json-pointer', 'json-pointer-uri-fragment',
  'relative-json-pointer',
]);
// Keywords that only describe; left out of the embedded schemas to keep the collection readable.
const ANNOTATIONS = new Set([
  'description', 'example', 'examples', 'title', 'default', 'deprecated', 'readOnly', 'writeOnly',
  '$comment', 'externalDocs', 'xml', 'contentMediaType', 'contentEncoding',
]);
// Keywords that mean the same in draft-07 as in OpenAPI 3.1 (JSON Schema 2020-12).
const SAME_IN_DRAFT7 = new Set([
  'type', 'required', 'enum', 'const', 'minLength', 'maxLength', 'pattern', 'minimum', 'maximum',
  'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minItems', 'maxItems', 'uniqueItems',
  'minProperties', 'maxProperties',
]);

function refName(ref) {
  const prefix = '#/components/schemas/';
  if (!ref.startsWith(prefix)) fail(`unsupported $ref ${ref}`);
  const name = ref.slice(prefix.length);
  if (!SCHEMAS[name]) fail(`$ref ${ref} names no schema`);
  return name;
}

/**
 * Resolves every $ref, drops annotations and unknown formats, and fails on any keyword whose
 * meaning would change under draft-07. With `strict`, objects that list their properties reject
 * undocumented ones, so a field the server sends but the document does not describe fails a test.
 */
function toDraft7(schema, { strict }, trail = [], refs = []) {
  if (typeof schema === 'boolean') return schema;
  if (schema === null || typeof schema !== 'object') fail(`not a schema at ${trail.join(' → ')}`);
  if (schema.$ref) {
    const name = refName(schema.$ref);
    if (refs.includes(name)) fail(`recursive schema ${[...refs, name].join(' → ')} cannot be embedded`);
    for (const key of Object.keys(schema)) {
      if (key !== '$ref' && !ANNOTATIONS.has(key)) fail(`$ref with sibling "${key}" in ${trail.join(' → ')}`);
    }
    return toDraft7(SCHEMAS[name], { strict }, [...trail, name], [...refs, name]);
  }
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (ANNOTATIONS.has(key) || key.startsWith('x-')) continue;
    if (SAME_IN_DRAFT7.has(key)) out[key] = value;
    else if (key === 'format') {
      if (AJV6_FORMATS.has(value)) out.format = value;
    } else if (key === 'properties') {
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, sub]) => [name, toDraft7(sub, { strict }, [...trail, name], refs)]),
      );
    } else if (key === 'items' || key === 'additionalProperties' || key === 'propertyNames' || key === 'not') {
      out[key] = toDraft7(value, { strict }, [...trail, key], refs);
    } else if (key === 'oneOf' || key === 'anyOf' || key === 'allOf') {
      out[key] = value.map((sub, i) => toDraft7(sub, { strict }, [...trail, `${key}[${i}]`], refs));
    } else {
      fail(`schema keyword "${key}" in ${trail.join(' → ') || 'a schema'} has no draft-07 translation here`);
    }
  }
  if (strict && out.properties && !('additionalProperties' in out)) out.additionalProperties = false;
  if (!out.type && !out.oneOf && !out.anyOf && !out.allOf && !out.enum && !('const' in out)) {
    fail(`schema at ${trail.join(' → ')} constrains nothing; a test against it could never fail`);
  }
  return out;
}

function schemaLabel(schema) {
  return schema?.$ref ? refName(schema.$ref) : 'the documented schema';
}

/** The document's example for a schema, following $refs. */
function exampleOf(schema) {
  const resolved = schema?.$ref ? SCHEMAS[refName(schema.$ref)] : schema;
  if (resolved?.example === undefined) fail(`schema ${schemaLabel(schema)} has no example to build a body from`);
  return structuredClone(resolved.example);
}

function resolveShallow(schema) {
  return schema?.$ref ? SCHEMAS[refName(schema.$ref)] : schema;
}

// ---------------------------------------------------------------------------------------------
// The story: folders of steps, run in this order
// ---------------------------------------------------------------------------------------------
//
// A step names the operation it exercises (`op`, an operationId) and the status it expects. The
// generator takes the method, path, parameters, body example and response schema from the
// document. Deliberately undocumented requests (an unknown route, a wrong method) give `route`.
//
//   name     what the step shows, after the operation's summary
//   params   path parameters;  query: enabled query parameters;  headers: request headers
//   body     { example: true, set, omit }  the request schema's example with changes
//            { json }  a JSON body as given;  { raw, contentType }  bytes as given
//   auth     'none', or a variable holding another bearer token; default: the admin's token
//   code     the problem `code` an error answer must carry
//   expectAllow  check that Allow lists the methods the document gives the path (for 405)
//   location the URL the Location header must be, when it is not the new record's (which is
//            what is checked otherwise)
//   pre      pre-request script;  test: checks after the generated ones (`body` is the parsed
//            JSON answer, or null)

const J = JSON.stringify;
const set = (name, expr) => `pm.collectionVariables.set(${J(name)}, ${expr});`;
const v = (name) => `pm.collectionVariables.get(${J(name)})`;
const storeId = (name) => set(name, 'body && body.id');
// A pre-request script that waits (at most ten seconds) until the record at
// `/api/v1/<collection>/{{name}}` is in one of the `ends` statuses: the scheduler takes queued
// jobs within a second or two.
const waitForEnd = (collection, name, ends) => `
(function wait(tries) {
    pm.sendRequest({
        url: pm.variables.replaceIn("{{base_url}}/api/v1/${collection}/{{${name}}}"),
        header: [{ key: "Authorization", value: "Bearer " + pm.collectionVariables.get("access_token") }]
    }, function (err, res) {
        var status = !err && res.code === 200 ? res.json().status : null;
        if (${J(ends)}.indexOf(status) < 0 && tries < 100) {
            setTimeout(function () { wait(tries + 1); }, 100);
        }
    });
})(0);`;
const waitForImport = (name) => waitForEnd('imports', name, ['completed', 'failed']);
const waitForJob = (name) => waitForEnd('jobs', name, ['succeeded', 'failed']);
const storeEtag = (name) => set(name, 'pm.response.headers.get("ETag")');

// What the customer and the agent say on the web chat; the messages list and the ticket's
// transcript repeat them.
const CHAT_QUESTION = '你好，这件羊毛大衣 L 码还有货吗？';
const CHAT_REPLY = '您好，L 码还有 3 件，今天下单明天发货。';

const FOLDERS = [
  {
    name: 'Customer life cycle',
    description:
      'A company customer from creation to deletion: create it, read it and keep its ETag, find it with ' +
      'filters, change it with `If-Match`, manage its contacts, delete it with `If-Match`, and see it gone.',
    steps: [
      {
        op: 'create_customer',
        name: 'a company, as a lead',
        status: 201,
        body: {
          example: true,
          set: {
            kind: 'company',
            name: '上海云帆贸易有限公司 {{run}}',
            email: 'purchasing.{{run}}@yunfan.example.cn',
            phone: '+86 21 {{run}}',
            external_id: 'TB-{{run}}',
            lifecycle_stage: 'lead',
          },
          omit: ['gender', 'birthday'],
        },
        test: `
${storeId('customer_id')}
pm.test("the customer is what was sent", function () {
    pm.expect(body.kind).to.eql("company");
    pm.expect(body.lifecycle_stage).to.eql("lead");
    pm.expect(body.email).to.eql(pm.variables.replaceIn("purchasing.{{run}}@yunfan.example.cn"));
    pm.expect(body.phone, "phone reduced to + and digits").to.eql(pm.variables.replaceIn("+8621{{run}}"));
    pm.expect(body.tags).to.include("vip");
    pm.expect(body.version).to.eql(1);
});`,
      },
      {
        op: 'get_customer',
        status: 200,
        params: { id: '{{customer_id}}' },
        test: `
${storeEtag('customer_etag')}
pm.test("it is the customer just created, at version 1", function () {
    pm.expect(body.id).to.eql(${v('customer_id')});
    pm.expect(pm.response.headers.get("ETag")).to.eql('"1"');
});`,
      },
      {
        op: 'list_customers',
        name: 'filtered by tag, kind and text',
        status: 200,
        query: { tag: 'vip', kind: 'company', q: '{{run}}', sort: '-created_at', include_total: 'true' },
        test: `
pm.test("the new customer is on the page, and is the only match", function () {
    pm.expect(body.data.map(function (c) { return c.id; })).to.include(${v('customer_id')});
    pm.expect(body.total).to.eql(1);
    pm.expect(body.has_more).to.eql(false);
    pm.expect(body.next_cursor).to.eql(null);
});
pm.test("every row matches the filters", function () {
    body.data.forEach(function (c) {
        pm.expect(c.tags).to.include("vip");
        pm.expect(c.kind).to.eql("company");
    });
});`,
      },
      {
        op: 'update_customer',
        name: 'with If-Match, from lead to customer',
        status: 200,
        params: { id: '{{customer_id}}' },
        headers: { 'If-Match': '{{customer_etag}}' },
        body: { example: true },
        test: `
pm.test("the change is applied and the version grows to 2", function () {
    pm.expect(body.lifecycle_stage).to.eql("customer");
    pm.expect(body.tags).to.eql(["vip"]);
    pm.expect(body.notes, "null clears").to.eql(null);
    pm.expect(body.version).to.eql(2);
    pm.expect(pm.response.headers.get("ETag")).to.eql('"2"');
});
pm.test("fields not sent stay as they were", function () {
    pm.expect(body.kind).to.eql("company");
    pm.expect(body.external_id).to.eql(pm.variables.replaceIn("TB-{{run}}"));
});
${storeEtag('customer_etag')}`,
      },
      {
        op: 'create_contact',
        status: 201,
        params: { id: '{{customer_id}}' },
        body: { example: true },
        test: `
${storeId('contact_id')}
pm.test("the contact belongs to the customer and is primary", function () {
    pm.expect(body.customer_id).to.eql(${v('customer_id')});
    pm.expect(body.is_primary).to.eql(true);
});`,
      },
      {
        op: 'list_contacts',
        status: 200,
        params: { id: '{{customer_id}}' },
        query: { include_total: 'true' },
        test: `
pm.test("the customer has exactly the new contact", function () {
    pm.expect(body.data.map(function (c) { return c.id; })).to.eql([${v('contact_id')}]);
    pm.expect(body.total).to.eql(1);
});`,
      },
      {
        op: 'get_contact',
        status: 200,
        params: { id: '{{customer_id}}', contact_id: '{{contact_id}}' },
        test: `
${storeEtag('contact_etag')}
pm.test("it is the contact just added", function () {
    pm.expect(body.id).to.eql(${v('contact_id')});
    pm.expect(pm.response.headers.get("ETag")).to.eql('"1"');
});`,
      },
      {
        op: 'update_contact',
        name: 'with If-Match',
        status: 200,
        params: { id: '{{customer_id}}', contact_id: '{{contact_id}}' },
        headers: { 'If-Match': '{{contact_etag}}' },
        body: { example: true },
        test: `
pm.test("the new title is stored and the version grows to 2", function () {
    pm.expect(body.title).to.eql("总经理");
    pm.expect(body.version).to.eql(2);
    pm.expect(pm.response.headers.get("ETag")).to.eql('"2"');
});
${storeEtag('contact_etag')}`,
      },
      {
        op: 'delete_contact',
        name: 'with If-Match',
        status: 204,
        params: { id: '{{customer_id}}', contact_id: '{{contact_id}}' },
        headers: { 'If-Match': '{{contact_etag}}' },
      },
      {
        op: 'get_contact',
        name: 'after removal',
        status: 404,
        code: 'not_found',
        params: { id: '{{customer_id}}', contact_id: '{{contact_id}}' },
      },
      {
        op: 'delete_customer',
        name: 'with If-Match',
        status: 204,
        params: { id: '{{customer_id}}' },
        headers: { 'If-Match': '{{customer_etag}}' },
      },
      {
        op: 'get_customer',
        name: 'after deletion',
        status: 404,
        code: 'not_found',
        params: { id: '{{customer_id}}' },
      },
    ],
  },
  {
    name: 'Custom fields',
    description:
      'A workspace field from definition to deletion: define a choice field on customers, read it, add an ' +
      'option with `If-Match`, give a customer a value and see a value outside the options refused, then ' +
      'delete the definition and see the customer keep its value.',
    steps: [
      {
        op: 'create_custom_field',
        name: 'a choice field on customers',
        status: 201,
        body: { example: true, set: { key: 'industry_{{run}}' } },
        test: `
${storeId('custom_field_id')}
pm.test("the definition is what was sent, at version 1", function () {
    pm.expect(body.key).to.eql(pm.variables.replaceIn("industry_{{run}}"));
    pm.expect(body.field_type).to.eql("enum");
    pm.expect(body.options).to.eql(["retail", "food", "services"]);
    pm.expect(body.version).to.eql(1);
});`,
      },
      {
        op: 'create_custom_field',
        name: 'the same key again',
        status: 409,
        code: 'key_taken',
        body: { example: true, set: { key: 'industry_{{run}}' } },
      },
      {
        op: 'get_custom_field',
        status: 200,
        params: { id: '{{custom_field_id}}' },
        test: `
${storeEtag('custom_field_etag')}
pm.test("it is the field just defined", function () {
    pm.expect(body.id).to.eql(${v('custom_field_id')});
    pm.expect(pm.response.headers.get("ETag")).to.eql('"1"');
});`,
      },
      {
        op: 'update_custom_field',
        name: 'with If-Match, adding an option',
        status: 200,
        params: { id: '{{custom_field_id}}' },
        headers: { 'If-Match': '{{custom_field_etag}}' },
        body: { example: true },
        test: `
pm.test("the new label and options are stored; key and type stay", function () {
    pm.expect(body.label).to.eql("Line of business");
    pm.expect(body.options).to.include("wholesale");
    pm.expect(body.key).to.eql(pm.variables.replaceIn("industry_{{run}}"));
    pm.expect(body.version).to.eql(2);
});
${storeEtag('custom_field_etag')}`,
      },
      {
        op: 'list_custom_fields',
        name: 'of customers',
        status: 200,
        query: { resource_type: 'customer', limit: '200' },
        test: `
pm.test("the field is listed", function () {
    pm.expect(body.data.map(function (f) { return f.id; })).to.include(${v('custom_field_id')});
    body.data.forEach(function (f) { pm.expect(f.resource_type).to.eql("customer"); });
});`,
      },
      {
        op: 'create_customer',
        name: 'with a value outside the options',
        status: 422,
        code: 'validation_failed',
        body: { json: { name: '王芳 {{run}}', custom_fields: { 'industry_{{run}}': 'mining' } } },
        test: `
pm.test("the value is named by its key", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; }))
        .to.eql([pm.variables.replaceIn("custom_fields.industry_{{run}} invalid_option")]);
});`,
      },
      {
        op: 'create_customer',
        name: 'with a value of the field',
        status: 201,
        body: { json: { name: '王芳 {{run}}', custom_fields: { 'industry_{{run}}': 'wholesale' } } },
        test: `
${storeId('valued_customer_id')}
pm.test("the value is stored", function () {
    pm.expect(body.custom_fields[pm.variables.replaceIn("industry_{{run}}")]).to.eql("wholesale");
});`,
      },
      {
        op: 'get_customer_filter_fields',
        status: 200,
        test: `
pm.test("the custom field is filterable, with its options", function () {
    var field = body.data.find(function (f) { return f.name === pm.variables.replaceIn("custom_fields.industry_{{run}}"); });
    pm.expect(field.type).to.eql("enum");
    pm.expect(field.options).to.include("wholesale");
    pm.expect(field.operators).to.include("in");
    pm.expect(field.sortable).to.eql(true);
});`,
      },
      {
        op: 'search_customers',
        name: 'by the custom field',
        status: 200,
        body: {
          json: {
            filter: { and: [
              { field: 'custom_fields.industry_{{run}}', op: 'in', value: ['wholesale', 'food'] },
              { field: 'name', op: 'contains', value: '{{run}}' },
            ] },
            sort: ['-custom_fields.industry_{{run}}', 'name'],
            limit: 10,
            include_total: true,
          },
        },
        test: `
pm.test("exactly the customer with the value is found", function () {
    pm.expect(body.data.map(function (c) { return c.id; })).to.eql([${v('valued_customer_id')}]);
    pm.expect(body.total).to.eql(1);
    pm.expect(body.has_more).to.eql(false);
});`,
      },
      {
        op: 'search_customers',
        name: 'with mistakes in the filter',
        status: 400,
        code: 'bad_request',
        body: {
          json: {
            filter: { and: [
              { field: 'custom_fields.industry_{{run}}', op: 'contains', value: 'whole' },
              { field: 'lifecycle_stage', op: 'eq', value: 'vip' },
            ] },
          },
        },
        test: `
pm.test("every mistake is named by its path in the filter", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql([
        "filter.and[0].op unsupported_operator",
        "filter.and[1].value invalid_value",
    ]);
});`,
      },
      {
        op: 'delete_custom_field',
        name: 'with If-Match',
        status: 204,
        params: { id: '{{custom_field_id}}' },
        headers: { 'If-Match': '{{custom_field_etag}}' },
      },
      {
        op: 'get_customer',
        name: 'after its field was deleted',
        status: 200,
        params: { id: '{{valued_customer_id}}' },
        test: `
pm.test("the stored value is still there", function () {
    pm.expect(body.custom_fields[pm.variables.replaceIn("industry_{{run}}")]).to.eql("wholesale");
});`,
      },
      {
        op: 'delete_customer',
        status: 204,
        params: { id: '{{valued_customer_id}}' },
      },
    ],
  },
  {
    name: 'Imports',
    description:
      'Loading customers from a spreadsheet: create an import with a column mapping, upload the CSV, ' +
      'wait for the background worker, and read the rows it refused by their column names.',
    steps: [
      {
        op: 'create_import',
        name: 'CSV, skipping invalid rows',
        status: 201,
        body: {
          json: {
            resource_type: 'customers',
            format: 'csv',
            mode: 'skip_invalid',
            mapping: { 客户名称: 'name', 手机: 'phone', 城市: 'address.city' },
          },
        },
        test: `${storeId('import_id')}
pm.test("the job waits for its file", function () {
    pm.expect(body.status).to.eql("awaiting_file");
    pm.expect(body.upload_url).to.eql("/api/v1/imports/" + body.id + "/file");
});`,
      },
      {
        op: 'upload_import_file',
        status: 202,
        params: { id: '{{import_id}}' },
        body: {
          contentType: 'text/csv',
          raw: '客户名称,手机,城市\n导入甲 {{run}},139{{run}},上海市\n导入乙 {{run}},not a phone,北京市\n',
        },
        test: `
pm.test("the job is queued for a worker", function () {
    pm.expect(body.status).to.eql("queued");
    pm.expect(body.file_bytes).to.be.above(0);
});`,
      },
      {
        op: 'get_import',
        name: 'once the worker is done',
        status: 200,
        params: { id: '{{import_id}}' },
        pre: waitForImport('import_id'),
        test: `
pm.test("one row was written and one refused", function () {
    pm.expect(body.status).to.eql("completed");
    pm.expect(body.total_rows).to.eql(2);
    pm.expect(body.created_rows).to.eql(1);
    pm.expect(body.failed_rows).to.eql(1);
});`,
      },
      {
        op: 'list_import_errors',
        status: 200,
        params: { id: '{{import_id}}' },
        test: `
pm.test("the refused row is named by its column", function () {
    pm.expect(body.data.map(function (e) { return e.row + " " + e.field + " " + e.code; })).to.eql(["2 手机 invalid_phone"]);
});`,
      },
      {
        op: 'retry_import',
        name: 'a completed import',
        status: 409,
        code: 'invalid_transition',
        params: { id: '{{import_id}}' },
      },
      {
        op: 'list_imports',
        status: 200,
        test: `
pm.test("the import is listed", function () {
    pm.expect(body.data.map(function (j) { return j.id; })).to.include(${v('import_id')});
});`,
      },
      {
        op: 'create_import',
        name: 'products, one variant a row',
        status: 201,
        body: { json: { resource_type: 'products', format: 'csv', mapping: { 商品编码: 'external_id', 尺码: 'options.size' } } },
        test: `${storeId('product_import_id')}
pm.test("the job holds products", function () {
    pm.expect(body.resource_type).to.eql("products");
});`,
      },
      {
        op: 'upload_import_file',
        name: 'two sizes of one product',
        status: 202,
        params: { id: '{{product_import_id}}' },
        body: {
          contentType: 'text/csv',
          raw: '商品编码,name,sku,尺码,price,currency,stock\nimp-{{run}},导入鞋 {{run}},IMP-{{run}}-42,42,39900,CNY,3\nimp-{{run}},导入鞋 {{run}},IMP-{{run}}-43,43,39900,CNY,4\n',
        },
      },
      {
        op: 'get_import',
        name: 'the product import, once done',
        status: 200,
        params: { id: '{{product_import_id}}' },
        pre: waitForImport('product_import_id'),
        test: `
pm.test("both rows were written, to one product", function () {
    pm.expect(body.status).to.eql("completed");
    pm.expect(body.created_rows).to.eql(2);
    pm.expect(body.failed_rows).to.eql(0);
});`,
      },
    ],
  },
  {
    name: 'Jobs and retention',
    description:
      'The scheduler\'s jobs table: how long finished work is kept, a housekeeping run asked for by hand and followed to its end, and the imports above as jobs.',
    steps: [
      {
        op: 'get_retention_settings',
        status: 200,
        test: `${storeEtag('retention_etag')}
pm.test("days for each kind of finished work", function () {
    ["sessions_days", "import_files_days", "jobs_days"].forEach(function (k) {
        pm.expect(body[k]).to.be.a("number");
    });
});`,
      },
      {
        op: 'update_retention_settings',
        name: 'out of range',
        status: 422,
        code: 'validation_failed',
        body: { json: { jobs_days: -1, sessions_days: 4000 } },
        test: `
pm.test("both fields are named", function () {
    pm.expect(body.errors.map(function (e) { return e.field; })).to.eql(["sessions_days", "jobs_days"]);
});`,
      },
      {
        op: 'update_retention_settings',
        name: 'with If-Match',
        status: 200,
        headers: { 'If-Match': '{{retention_etag}}' },
        body: { json: { import_files_days: 30 } },
        test: `
pm.test("thirty days for import files", function () {
    pm.expect(body.import_files_days).to.eql(30);
});`,
      },
      {
        op: 'run_job',
        status: 202,
        body: { json: { kind: 'housekeeping' } },
        test: `${storeId('job_id')}
pm.test("queued now, for the first node free", function () {
    pm.expect(body.kind).to.eql("housekeeping");
    pm.expect(body.status).to.eql("queued");
    pm.expect(pm.response.headers.get("Location")).to.eql("/api/v1/jobs/" + body.id);
});`,
      },
      {
        op: 'get_job',
        name: 'once it ran',
        status: 200,
        params: { id: '{{job_id}}' },
        pre: waitForJob('job_id'),
        test: `
pm.test("it succeeded and says what it forgot", function () {
    pm.expect(body.status).to.eql("succeeded");
    pm.expect(body.attempts).to.eql(1);
    ["idempotency_records", "session_tokens", "import_files", "jobs"].forEach(function (k) {
        pm.expect(body.result[k]).to.be.a("number");
    });
});`,
      },
      {
        op: 'list_jobs',
        name: 'the imports',
        status: 200,
        query: { kind: 'import', status: 'succeeded', limit: '200' },
        test: `
pm.test("each import above ran as a job", function () {
    var imports = body.data.map(function (j) { return j.payload.id; });
    pm.expect(imports).to.include(${v('import_id')});
    pm.expect(imports).to.include(${v('product_import_id')});
});`,
      },
    ],
  },
  {
    name: 'Duplicates and merge',
    description:
      'The same customer entered twice: find the second record as a duplicate of the first, merge it in, ' +
      'and see the first take what it lacked while the second is gone.',
    steps: [
      {
        op: 'create_customer',
        name: 'the first record',
        status: 201,
        body: { json: { name: '重复 客户 {{run}}', tags: ['vip'] } },
        test: `${storeId('survivor_id')}${storeEtag('survivor_etag')}`,
      },
      {
        op: 'create_customer',
        name: 'the same customer again, differently written',
        status: 201,
        body: { json: { name: '重复客户{{run}}', email: 'dup.{{run}}@example.cn', tags: ['b2b'] } },
        test: `${storeId('duplicate_id')}`,
      },
      {
        op: 'find_customer_duplicates',
        status: 200,
        params: { id: '{{survivor_id}}' },
        test: `
pm.test("the second record is found by its name", function () {
    var found = body.data.find(function (d) { return d.customer.id === ${v('duplicate_id')}; });
    pm.expect(found.reasons).to.eql(["name"]);
    pm.expect(found.score).to.eql(20);
});`,
      },
      {
        op: 'merge_customers',
        name: 'with If-Match',
        status: 200,
        params: { id: '{{survivor_id}}' },
        headers: { 'If-Match': '{{survivor_etag}}' },
        body: { json: { duplicate_id: '{{duplicate_id}}' } },
        test: `
pm.test("the survivor took what it lacked", function () {
    pm.expect(body.id).to.eql(${v('survivor_id')});
    pm.expect(body.email).to.eql(pm.variables.replaceIn("dup.{{run}}@example.cn"));
    pm.expect(body.tags).to.eql(["vip", "b2b"]);
    pm.expect(body.version).to.eql(2);
});`,
      },
      {
        op: 'get_customer',
        name: 'the merged duplicate',
        status: 404,
        code: 'not_found',
        params: { id: '{{duplicate_id}}' },
      },
      { op: 'delete_customer', status: 204, params: { id: '{{survivor_id}}' } },
    ],
  },
  {
    name: 'Privacy',
    description:
      'A customer who exercises their rights: consent recorded with its channel, the history of their ' +
      'decisions, all their data as one document, and their personal data erased.',
    steps: [
      {
        op: 'create_customer',
        name: 'with consent given on the web',
        status: 201,
        body: {
          json: {
            name: '隐私 {{run}}',
            email: 'privacy.{{run}}@example.cn',
            marketing_consent: { opted_in: true, channel: 'web' },
          },
        },
        test: `${storeId('privacy_customer_id')}`,
      },
      {
        op: 'record_customer_consent',
        name: 'withdrawn by phone',
        status: 200,
        params: { id: '{{privacy_customer_id}}' },
        body: { json: { opted_in: false, channel: 'phone' } },
        test: `
pm.test("the decision is the customer's consent now", function () {
    pm.expect(body.marketing_consent.opted_in).to.eql(false);
    pm.expect(body.marketing_consent.channel).to.eql("phone");
    pm.expect(body.version).to.eql(2);
});`,
      },
      {
        op: 'list_customer_consent',
        status: 200,
        params: { id: '{{privacy_customer_id}}' },
        test: `
pm.test("both decisions are kept, newest first", function () {
    pm.expect(body.data.map(function (d) { return d.channel + " " + d.opted_in; })).to.eql(["phone false", "web true"]);
});`,
      },
      {
        op: 'export_customer_data',
        status: 200,
        params: { id: '{{privacy_customer_id}}' },
        test: `
pm.test("the document holds the customer and their history", function () {
    pm.expect(body.customer.email).to.eql(pm.variables.replaceIn("privacy.{{run}}@example.cn"));
    pm.expect(body.consent_history.length).to.eql(2);
    pm.expect(body.audit_events.map(function (e) { return e.action; })).to.include("customer.created");
    pm.expect(pm.response.headers.get("Content-Disposition")).to.match(/^attachment/);
});`,
      },
      {
        op: 'anonymize_customer',
        status: 200,
        params: { id: '{{privacy_customer_id}}' },
        test: `
pm.test("the personal data is gone and the record stays", function () {
    pm.expect(body.name).to.eql("Anonymised customer");
    pm.expect(body.email).to.eql(null);
    pm.expect(body.marketing_consent.opted_in).to.eql(false);
    pm.expect(body.anonymised_at).to.be.a("string");
});`,
      },
      {
        op: 'export_customer_data',
        name: 'after anonymisation',
        status: 200,
        params: { id: '{{privacy_customer_id}}' },
        test: `
pm.test("no copy of the email is left in the history", function () {
    pm.expect(JSON.stringify(body)).not.to.include(pm.variables.replaceIn("privacy.{{run}}@example.cn"));
});`,
      },
      { op: 'delete_customer', status: 204, params: { id: '{{privacy_customer_id}}' } },
    ],
  },
  {
    name: 'Batch upsert',
    description:
      'An integrator loading customers from its own system: create two by external id, send them again ' +
      'with one change, see one bad item refuse a whole batch with its path named, and see `per_item` ' +
      'write what it can (a malformed item, such as one with an invalid email, refuses even a `per_item` batch).',
    steps: [
      {
        op: 'batch_upsert_customers',
        name: 'two new customers',
        status: 200,
        body: {
          json: {
            customers: [
              { source: 'erp', external_id: 'ERP-{{run}}-1', name: '赵敏 {{run}}', tags: ['erp'] },
              { source: 'erp', external_id: 'ERP-{{run}}-2', name: '周芷若 {{run}}' },
            ],
          },
        },
        test: `${set('batch_first_id', 'body.results[0].id')}
${set('batch_second_id', 'body.results[1].id')}
pm.test("both were created, at version 1", function () {
    pm.expect(body.created).to.eql(2);
    pm.expect(body.results.map(function (r) { return r.status + " " + r.version; })).to.eql(["created 1", "created 1"]);
});`,
      },
      {
        op: 'batch_upsert_customers',
        name: 'the same two again, one changed',
        status: 200,
        body: {
          json: {
            customers: [
              { source: 'erp', external_id: 'ERP-{{run}}-1', lifecycle_stage: 'customer' },
              { source: 'erp', external_id: 'ERP-{{run}}-2', name: '周芷若 {{run}}' },
            ],
          },
        },
        test: `
pm.test("the known customers were found by their external ids", function () {
    pm.expect(body.results[0]).to.eql({ index: 0, status: "updated", id: ${v('batch_first_id')}, version: 2 });
    pm.expect(body.results[1]).to.eql({ index: 1, status: "unchanged", id: ${v('batch_second_id')}, version: 1 });
});`,
      },
      {
        op: 'batch_upsert_customers',
        name: 'with one bad item, all or nothing',
        status: 422,
        code: 'validation_failed',
        body: {
          json: {
            customers: [
              { source: 'erp', external_id: 'ERP-{{run}}-3', name: '张无忌 {{run}}' },
              { source: 'erp', external_id: 'ERP-{{run}}-4', name: '小昭 {{run}}', birthday: '2999-01-01' },
            ],
          },
        },
        test: `
pm.test("the bad item is named by its position", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["customers[1].birthday in_future"]);
});`,
      },
      {
        op: 'batch_upsert_customers',
        name: 'with one bad item, per item',
        status: 200,
        body: {
          json: {
            mode: 'per_item',
            customers: [
              { source: 'erp', external_id: 'ERP-{{run}}-3', name: '张无忌 {{run}}' },
              { source: 'erp', external_id: 'ERP-{{run}}-4', name: '小昭 {{run}}', birthday: '2999-01-01' },
            ],
          },
        },
        test: `${set('batch_third_id', 'body.results[0].id')}
pm.test("the good item was written and the bad one refused", function () {
    pm.expect(body.created).to.eql(1);
    pm.expect(body.failed).to.eql(1);
    pm.expect(body.results[1].errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["birthday in_future"]);
});`,
      },
      { op: 'delete_customer', name: 'the first', status: 204, params: { id: '{{batch_first_id}}' } },
      { op: 'delete_customer', name: 'the second', status: 204, params: { id: '{{batch_second_id}}' } },
      { op: 'delete_customer', name: 'the third', status: 204, params: { id: '{{batch_third_id}}' } },
    ],
  },
  {
    name: 'Segments and tags',
    description:
      'Groups of customers: tag two customers in one request by filter, see the tag counted, preview a ' +
      'filter, save it as a dynamic segment and list its members, keep a static list by hand, and see a ' +
      'dynamic segment refuse a hand-made member.',
    steps: [
      {
        op: 'create_customer',
        name: 'the first of two in Hangzhou',
        status: 201,
        body: { json: { name: '杭州甲 {{run}}', address: { city: '杭州市 {{run}}' } } },
        test: `${storeId('hangzhou_a_id')}`,
      },
      {
        op: 'create_customer',
        name: 'the second of two in Hangzhou',
        status: 201,
        body: { json: { name: '杭州乙 {{run}}', address: { city: '杭州市 {{run}}' } } },
        test: `${storeId('hangzhou_b_id')}`,
      },
      {
        op: 'tag_customers',
        name: 'everyone in the city, by filter',
        status: 200,
        body: {
          json: {
            tags: ['fair_{{run}}'],
            filter: { field: 'address.city', op: 'eq', value: '杭州市 {{run}}' },
          },
        },
        test: `
pm.test("both customers were tagged", function () {
    pm.expect(body).to.eql({ matched: 2, changed: 2 });
});`,
      },
      {
        op: 'list_tags',
        name: 'beginning with the new tag',
        status: 200,
        query: { prefix: 'fair_{{run}}', include_total: 'true' },
        test: `
pm.test("the tag is counted once per customer", function () {
    pm.expect(body.data).to.eql([{ tag: pm.variables.replaceIn("fair_{{run}}"), customer_count: 2 }]);
    pm.expect(body.total).to.eql(1);
});`,
      },
      {
        op: 'export_customers',
        name: 'the tagged customers as CSV',
        status: 200,
        accept: 'text/csv',
        query: { tag: 'fair_{{run}}' },
        test: `
pm.test("the file has a header and one line per tagged customer", function () {
    var lines = pm.response.text().trim().split(String.fromCharCode(10));
    pm.expect(lines[0]).to.match(/^id,kind,name,email,phone/);
    pm.expect(lines.length).to.eql(3);
    pm.expect(pm.response.text()).to.include(pm.variables.replaceIn("杭州甲 {{run}}"));
});`,
      },
      {
        op: 'preview_segment',
        status: 200,
        body: { json: { filter: { field: 'tags', op: 'contains', value: 'fair_{{run}}' } } },
        test: `
pm.test("the filter selects the two customers", function () {
    pm.expect(body.customer_count).to.eql(2);
    pm.expect(body.sample.map(function (c) { return c.id; })).to.have.members([${v('hangzhou_a_id')}, ${v('hangzhou_b_id')}]);
});`,
      },
      {
        op: 'create_segment',
        name: 'a dynamic segment',
        status: 201,
        body: {
          json: {
            name: 'Fair visitors {{run}}',
            kind: 'dynamic',
            filter: { field: 'tags', op: 'contains', value: 'fair_{{run}}' },
          },
        },
        test: `${storeId('dynamic_segment_id')}
pm.test("the segment keeps its filter", function () {
    pm.expect(body.kind).to.eql("dynamic");
    pm.expect(body.filter.value).to.eql(pm.variables.replaceIn("fair_{{run}}"));
});`,
      },
      {
        op: 'get_segment',
        status: 200,
        params: { id: '{{dynamic_segment_id}}' },
        test: `${storeEtag('dynamic_segment_etag')}
pm.test("its members are counted", function () {
    pm.expect(body.customer_count).to.eql(2);
});`,
      },
      {
        op: 'list_segment_customers',
        status: 200,
        params: { id: '{{dynamic_segment_id}}' },
        query: { sort: 'name', include_total: 'true' },
        test: `
pm.test("the members are the tagged customers, by name", function () {
    pm.expect(body.data.map(function (c) { return c.id; })).to.eql([${v('hangzhou_b_id')}, ${v('hangzhou_a_id')}]);
    pm.expect(body.total).to.eql(2);
});`,
      },
      {
        op: 'update_segment',
        name: 'with If-Match, a new name',
        status: 200,
        params: { id: '{{dynamic_segment_id}}' },
        headers: { 'If-Match': '{{dynamic_segment_etag}}' },
        body: { json: { name: 'Hangzhou fair visitors {{run}}' } },
        test: `${storeEtag('dynamic_segment_etag')}
pm.test("the name changed and the version grew", function () {
    pm.expect(body.name).to.eql(pm.variables.replaceIn("Hangzhou fair visitors {{run}}"));
    pm.expect(body.version).to.eql(2);
});`,
      },
      {
        op: 'add_segment_customers',
        name: 'to a dynamic segment',
        status: 409,
        code: 'segment_is_dynamic',
        params: { id: '{{dynamic_segment_id}}' },
        body: { json: { customer_ids: ['{{hangzhou_a_id}}'] } },
      },
      {
        op: 'create_segment',
        name: 'a static list',
        status: 201,
        body: { json: { name: 'Call back {{run}}', kind: 'static' } },
        test: `${storeId('static_segment_id')}`,
      },
      {
        op: 'add_segment_customers',
        name: 'by filter',
        status: 200,
        params: { id: '{{static_segment_id}}' },
        body: { json: { filter: { field: 'tags', op: 'contains', value: 'fair_{{run}}' } } },
        test: `
pm.test("both were added", function () {
    pm.expect(body).to.eql({ matched: 2, changed: 2 });
});`,
      },
      {
        op: 'remove_segment_customers',
        name: 'one by id',
        status: 200,
        params: { id: '{{static_segment_id}}' },
        body: { json: { customer_ids: ['{{hangzhou_a_id}}'] } },
        test: `
pm.test("one was removed", function () {
    pm.expect(body).to.eql({ matched: 1, changed: 1 });
});`,
      },
      {
        op: 'list_segments',
        status: 200,
        query: { limit: '200' },
        test: `
pm.test("both segments are listed", function () {
    var ids = body.data.map(function (s) { return s.id; });
    pm.expect(ids).to.include(${v('dynamic_segment_id')});
    pm.expect(ids).to.include(${v('static_segment_id')});
});`,
      },
      {
        op: 'untag_customers',
        status: 200,
        body: { json: { tags: ['fair_{{run}}'], customer_ids: ['{{hangzhou_a_id}}', '{{hangzhou_b_id}}'] } },
        test: `
pm.test("the tag is gone from both", function () {
    pm.expect(body).to.eql({ matched: 2, changed: 2 });
});`,
      },
      {
        op: 'delete_segment',
        name: 'the dynamic segment, with If-Match',
        status: 204,
        params: { id: '{{dynamic_segment_id}}' },
        headers: { 'If-Match': '{{dynamic_segment_etag}}' },
      },
      {
        op: 'delete_segment',
        name: 'the static list',
        status: 204,
        params: { id: '{{static_segment_id}}' },
      },
      { op: 'delete_customer', name: 'the first', status: 204, params: { id: '{{hangzhou_a_id}}' } },
      { op: 'delete_customer', name: 'the second', status: 204, params: { id: '{{hangzhou_b_id}}' } },
    ],
  },
  {
    name: 'Catalogue',
    description:
      'How what is sold is arranged: a category tree in which each category knows its path, a move that ' +
      'would make a cycle refused, and brands with unique names.',
    steps: [
      {
        op: 'create_category',
        name: 'at the top',
        status: 201,
        body: { json: { name: '鞋类 {{run}}', description: 'Everything worn on the feet' } },
        test: `${storeId('shoes_category_id')}`,
      },
      {
        op: 'create_category',
        name: 'under it',
        status: 201,
        body: { json: { name: '跑步鞋', parent_id: '{{shoes_category_id}}' } },
        test: `${storeId('running_category_id')}
pm.test("the category knows its path", function () {
    pm.expect(body.parent_id).to.eql(${v('shoes_category_id')});
    pm.expect(body.full_name).to.eql(pm.variables.replaceIn("鞋类 {{run}} › 跑步鞋"));
    pm.expect(body.path.map(function (c) { return c.id; })).to.eql([${v('shoes_category_id')}, ${v('running_category_id')}]);
});`,
      },
      {
        op: 'create_category',
        name: 'a sibling of the same name',
        status: 409,
        code: 'category_name_taken',
        body: { json: { name: '跑步鞋', parent_id: '{{shoes_category_id}}' } },
      },
      {
        op: 'list_categories',
        name: 'the children of one category',
        status: 200,
        query: { parent_id: '{{shoes_category_id}}', include_total: 'true' },
        test: `
pm.test("the one child is listed", function () {
    pm.expect(body.data.map(function (c) { return c.id; })).to.eql([${v('running_category_id')}]);
    pm.expect(body.total).to.eql(1);
});`,
      },
      {
        op: 'get_category',
        status: 200,
        params: { id: '{{running_category_id}}' },
        test: `${storeEtag('running_category_etag')}
pm.test("the path runs from the top", function () {
    pm.expect(body.path.length).to.eql(2);
});`,
      },
      {
        op: 'update_category',
        name: 'a move under its own child',
        status: 409,
        code: 'category_cycle',
        params: { id: '{{shoes_category_id}}' },
        body: { json: { parent_id: '{{running_category_id}}' } },
      },
      {
        op: 'update_category',
        name: 'with If-Match, a new name',
        status: 200,
        params: { id: '{{running_category_id}}' },
        headers: { 'If-Match': '{{running_category_etag}}' },
        body: { json: { name: 'Running shoes' } },
        test: `
pm.test("the name changed and the version grew", function () {
    pm.expect(body.name).to.eql("Running shoes");
    pm.expect(body.version).to.eql(2);
});`,
      },
      {
        op: 'delete_category',
        name: 'one with a subcategory',
        status: 409,
        code: 'category_in_use',
        params: { id: '{{shoes_category_id}}' },
      },
      {
        op: 'create_brand',
        status: 201,
        body: { json: { name: '安踏 {{run}}', description: 'Sportswear' } },
        test: `${storeId('brand_id')}`,
      },
      {
        op: 'create_brand',
        name: 'of a name already in use',
        status: 409,
        code: 'brand_name_taken',
        body: { json: { name: '安踏 {{run}}' } },
      },
      {
        op: 'list_brands',
        name: 'newest first',
        status: 200,
        query: { sort: '-created_at', limit: '200' },
        test: `
pm.test("the new brand comes first", function () {
    pm.expect(body.data[0].id).to.eql(${v('brand_id')});
});`,
      },
      {
        op: 'get_brand',
        status: 200,
        params: { id: '{{brand_id}}' },
        test: `${storeEtag('brand_etag')}`,
      },
      {
        op: 'update_brand',
        name: 'with If-Match, no description',
        status: 200,
        params: { id: '{{brand_id}}' },
        headers: { 'If-Match': '{{brand_etag}}' },
        body: { json: { description: null } },
        test: `${storeEtag('brand_etag')}
pm.test("the description is gone", function () {
    pm.expect(body.description).to.eql(null);
});`,
      },
      {
        op: 'delete_brand',
        status: 204,
        params: { id: '{{brand_id}}' },
        headers: { 'If-Match': '{{brand_etag}}' },
      },
      { op: 'delete_category', name: 'the child', status: 204, params: { id: '{{running_category_id}}' } },
      { op: 'delete_category', name: 'the top', status: 204, params: { id: '{{shoes_category_id}}' } },
    ],
  },
  {
    name: 'Products and stock',
    description:
      'Sell-side stock keeping: a product with two sizes, stock taken by hand and refused below zero, the ' +
      'ledger that explains the stock, a low-stock list, a variant added, changed and removed, and a ' +
      'custom field of products set, searched and removed.',
    steps: [
      {
        op: 'create_custom_field',
        name: 'a text field on products',
        status: 201,
        body: { json: { resource_type: 'product', key: 'material_{{run}}', label: 'Material', field_type: 'text' } },
        test: `${storeId('product_field_id')}
pm.test("the definition belongs to products", function () {
    pm.expect(body.resource_type).to.eql("product");
});`,
      },
      {
        op: 'create_product',
        status: 201,
        body: {
          json: {
            name: '跑步鞋 Pro {{run}}',
            images: ['https://img.example.cn/run-pro/main.jpg'],
            custom_fields: { 'material_{{run}}': 'mesh' },
            variants: [
              { sku: 'RUN-{{run}}-42', options: { size: '42' }, price: 49900, currency: 'CNY', stock: 5, low_stock_threshold: 2 },
              { sku: 'RUN-{{run}}-43', options: { size: '43' }, price: 49900, currency: 'CNY', stock: 1, low_stock_threshold: 2 },
            ],
          },
        },
        test: `${storeId('product_id')}${set('variant_id', 'body && body.variants[0].id')}${set('second_variant_id', 'body && body.variants[1].id')}
pm.test("each variant starts with its stock", function () {
    pm.expect(body.variants.map(function (v) { return v.stock; })).to.eql([5, 1]);
    pm.expect(body.variants[1].low_stock).to.eql(true);
});
pm.test("the custom field is stored", function () {
    pm.expect(body.custom_fields[pm.variables.replaceIn("material_{{run}}")]).to.eql("mesh");
});`,
      },
      {
        op: 'search_products',
        name: 'by a custom field',
        status: 200,
        body: { json: { filter: { field: 'custom_fields.material_{{run}}', op: 'eq', value: 'mesh' } } },
        test: `
pm.test("the product with the value", function () {
    pm.expect(body.data.map(function (p) { return p.id; })).to.eql([${v('product_id')}]);
});`,
      },
      {
        op: 'delete_custom_field',
        name: 'the field on products',
        status: 204,
        params: { id: '{{product_field_id}}' },
      },
      {
        op: 'create_product',
        name: 'with a sku already in use',
        status: 409,
        code: 'sku_taken',
        body: {
          json: {
            name: 'Copy {{run}}',
            variants: [{ sku: 'RUN-{{run}}-42', price: 100, currency: 'CNY' }],
          },
        },
      },
      {
        op: 'create_stock_adjustment',
        name: 'two units out',
        status: 201,
        params: { id: '{{product_id}}', variant_id: '{{variant_id}}' },
        body: { json: { delta: -2, reason: 'damaged', reference: 'count {{run}}' } },
        test: `${storeId('movement_id')}
pm.test("the ledger row carries the stock after it", function () {
    pm.expect(body.stock_after).to.eql(3);
    pm.expect(body.kind).to.eql("adjustment");
});`,
      },
      {
        op: 'create_stock_adjustment',
        name: 'more than there is',
        status: 409,
        code: 'insufficient_stock',
        params: { id: '{{product_id}}', variant_id: '{{variant_id}}' },
        body: { json: { delta: -4, reason: 'sold at the fair' } },
      },
      {
        op: 'get_stock_movement',
        status: 200,
        params: { id: '{{product_id}}', variant_id: '{{variant_id}}', movement_id: '{{movement_id}}' },
        test: `
pm.test("the row is the adjustment", function () {
    pm.expect(body.delta).to.eql(-2);
    pm.expect(body.reason).to.eql("damaged");
});`,
      },
      {
        op: 'list_stock_movements',
        status: 200,
        params: { id: '{{product_id}}', variant_id: '{{variant_id}}' },
        test: `
pm.test("the ledger sums to the stock", function () {
    var sum = body.data.reduce(function (total, row) { return total + row.delta; }, 0);
    pm.expect(sum).to.eql(3);
    pm.expect(body.data.map(function (row) { return row.kind; })).to.eql(["adjustment", "initial"]);
});`,
      },
      {
        op: 'list_products',
        name: 'low on stock',
        status: 200,
        query: { low_stock: 'true', limit: '200' },
        test: `
pm.test("the product with a low variant is listed", function () {
    pm.expect(body.data.map(function (p) { return p.id; })).to.include(${v('product_id')});
});`,
      },
      {
        op: 'search_products',
        name: 'by name and by one variant\'s sku',
        status: 200,
        body: {
          json: {
            filter: { and: [
              { field: 'name', op: 'contains', value: '跑步鞋 pro {{run}}' },
              { field: 'variants.sku', op: 'eq', value: 'RUN-{{run}}-43' },
            ] },
            include_total: true,
          },
        },
        test: `
pm.test("the product that sells the sku", function () {
    pm.expect(body.data.map(function (p) { return p.id; })).to.eql([${v('product_id')}]);
    pm.expect(body.total).to.eql(1);
});`,
      },
      {
        op: 'batch_upsert_products',
        name: 'a shop\'s product, new',
        status: 200,
        body: {
          json: {
            products: [{
              external_id: 'erp-{{run}}', name: '龙井茶 {{run}}',
              variants: [{ sku: 'TEA-{{run}}-250', price: 12900, currency: 'CNY', stock: 40 }],
            }],
          },
        },
        test: `${set('tea_product_id', 'body && body.results[0].id')}
pm.test("the product is created", function () {
    pm.expect(body.created).to.eql(1);
    pm.expect(body.results[0].status).to.eql("created");
    pm.expect(body.results[0].version).to.eql(1);
});`,
      },
      {
        op: 'batch_upsert_products',
        name: 'the same product named by its sku, with counted stock',
        status: 200,
        body: { json: { mode: 'per_item', products: [{ variants: [{ sku: 'TEA-{{run}}-250', stock: 37 }] }] } },
        test: `
pm.test("the product is updated, not created again", function () {
    pm.expect(body.updated).to.eql(1);
    pm.expect(body.results[0].id).to.eql(pm.variables.get("tea_product_id"));
});`,
      },
      {
        op: 'export_products',
        name: 'the synced product as CSV',
        status: 200,
        accept: 'text/csv',
        query: { status: 'active' },
        test: `
pm.test("one row per variant, with the columns an import reads back", function () {
    var text = pm.response.text();
    pm.expect(text.split(String.fromCharCode(10))[0]).to.eql("id,external_id,name,description,category_id,brand_id,status,images,sku,options,price,currency,stock,low_stock_threshold,created_at,updated_at");
    pm.expect(text).to.include(pm.variables.replaceIn("TEA-{{run}}-250"));
});`,
      },
      {
        op: 'get_product_filter_fields',
        status: 200,
        test: `
pm.test("variant fields are offered with their operators", function () {
    var price = body.data.filter(function (f) { return f.name === "variants.price"; })[0];
    pm.expect(price.type).to.eql("number");
    pm.expect(price.operators).to.include("lte");
});`,
      },
      {
        op: 'get_product',
        status: 200,
        params: { id: '{{product_id}}' },
        test: `${storeEtag('product_etag')}`,
      },
      {
        op: 'update_product',
        name: 'with If-Match, archived',
        status: 200,
        params: { id: '{{product_id}}' },
        headers: { 'If-Match': '{{product_etag}}' },
        body: { json: { status: 'archived' } },
        test: `${storeEtag('product_etag')}
pm.test("archived, and the version grew", function () {
    pm.expect(body.status).to.eql("archived");
    pm.expect(body.version).to.eql(2);
});`,
      },
      {
        op: 'create_product_variant',
        name: 'a third size',
        status: 201,
        params: { id: '{{product_id}}' },
        headers: { 'If-Match': '{{product_etag}}' },
        body: { json: { sku: 'RUN-{{run}}-44', options: { size: '44' }, price: 52900, currency: 'CNY' } },
        test: `${storeEtag('product_etag')}
pm.test("the product has three variants", function () {
    pm.expect(body.variants.length).to.eql(3);
});`,
      },
      {
        op: 'update_product_variant',
        name: 'a new price',
        status: 200,
        params: { id: '{{product_id}}', variant_id: '{{second_variant_id}}' },
        headers: { 'If-Match': '{{product_etag}}' },
        body: { json: { price: 45900 } },
        test: `${storeEtag('product_etag')}
pm.test("the price changed", function () {
    pm.expect(body.variants[1].price).to.eql(45900);
});`,
      },
      {
        op: 'delete_product_variant',
        status: 204,
        params: { id: '{{product_id}}', variant_id: '{{second_variant_id}}' },
        headers: { 'If-Match': '{{product_etag}}' },
      },
      { op: 'delete_product', status: 204, params: { id: '{{product_id}}' } },
    ],
  },
  {
    name: 'Orders',
    description:
      'Sell something: a product with stock, a customer, an order with a variant line and a free line, ' +
      'paid (which takes the stock), a second order that cannot be paid for lack of stock and is cancelled ' +
      'instead, and the customer\'s orders; then the first is shipped with a status step, delivered, refunded ' +
      'in part (one unit back in stock), refused a second refund, and completed.',
    steps: [
      {
        op: 'create_product',
        name: 'to sell',
        status: 201,
        body: {
          json: {
            name: '白茶 {{run}}',
            variants: [{ sku: 'TEA-{{run}}', price: 12800, currency: 'CNY', stock: 2 }],
          },
        },
        test: `${storeId('tea_product_id')}${set('tea_variant_id', 'body && body.variants[0].id')}`,
      },
      {
        op: 'create_customer',
        name: 'who buys',
        status: 201,
        body: { json: { name: '茶客 {{run}}' } },
        test: `${storeId('buyer_id')}`,
      },
      {
        op: 'create_order',
        status: 201,
        body: {
          json: {
            customer_id: '{{buyer_id}}',
            currency: 'CNY',
            lines: [
              { variant_id: '{{tea_variant_id}}', quantity: 2 },
              { description: 'Gift wrapping', quantity: 1, unit_price: 500 },
            ],
            shipping: 1000,
            recipient: { name: '王伟', phone: '+86 139 1234 5678' },
            ship_to: { country: 'CN', province: '上海市', city: '上海市', district: '浦东新区', street: '世纪大道 100 号', postal_code: '200120' },
            channel: 'mini_program',
          },
        },
        test: `${storeId('order_id')}${storeEtag('order_etag')}${set('tea_line_id', 'body && body.lines[0].id')}
pm.test("the server totals the order", function () {
    pm.expect(body.status).to.eql("pending");
    pm.expect(body.subtotal).to.eql(26100);
    pm.expect(body.total).to.eql(27100);
    pm.expect(body.lines[0].sku).to.eql(pm.variables.replaceIn("TEA-{{run}}"));
    pm.expect(body.recipient.phone).to.eql("+8613912345678");
    pm.expect(body.ship_to.city).to.eql("上海市");
});`,
      },
      {
        op: 'get_order',
        status: 200,
        params: { id: '{{order_id}}' },
        test: `
pm.test("the number is readable", function () {
    pm.expect(body.number).to.match(/^SO-[0-9]{8}-[0-9A-Z]{8}$/);
});`,
      },
      {
        op: 'update_order',
        name: 'while pending',
        status: 200,
        params: { id: '{{order_id}}' },
        headers: { 'If-Match': '{{order_etag}}' },
        body: { json: { note: '门店自提', channel: 'store' } },
        test: `${storeEtag('order_etag')}
pm.test("changed, the totals as they were", function () {
    pm.expect(body.note).to.eql("门店自提");
    pm.expect(body.total).to.eql(27100);
});`,
      },
      {
        op: 'pay_order',
        name: 'with If-Match',
        status: 200,
        params: { id: '{{order_id}}' },
        headers: { 'If-Match': '{{order_etag}}' },
        body: { json: { method: 'wechat_pay', reference: 'wx-{{run}}' } },
        test: `
pm.test("paid, with the payment as reported", function () {
    pm.expect(body.status).to.eql("paid");
    pm.expect(body.payment.method).to.eql("wechat_pay");
});`,
      },
      {
        op: 'create_order',
        name: 'one more of what is sold out',
        status: 201,
        body: {
          json: { customer_id: '{{buyer_id}}', currency: 'CNY', lines: [{ variant_id: '{{tea_variant_id}}', quantity: 1 }] },
        },
        test: `${storeId('second_order_id')}`,
      },
      {
        op: 'pay_order',
        name: 'without the stock',
        status: 409,
        code: 'insufficient_stock',
        params: { id: '{{second_order_id}}' },
        body: { json: { method: 'cash' } },
      },
      {
        op: 'cancel_order',
        status: 200,
        params: { id: '{{second_order_id}}' },
        test: `
pm.test("cancelled", function () {
    pm.expect(body.status).to.eql("cancelled");
});`,
      },
      {
        op: 'cancel_order',
        name: 'a paid order',
        status: 409,
        code: 'invalid_transition',
        params: { id: '{{order_id}}' },
      },
      {
        op: 'list_customer_orders',
        status: 200,
        params: { id: '{{buyer_id}}' },
        test: `
pm.test("both orders, newest first", function () {
    pm.expect(body.data.map(function (o) { return o.id; })).to.eql([${v('second_order_id')}, ${v('order_id')}]);
});`,
      },
      {
        op: 'list_orders',
        name: 'paid ones',
        status: 200,
        query: { status: 'paid', customer_id: '{{buyer_id}}' },
        test: `
pm.test("the paid order", function () {
    pm.expect(body.data.map(function (o) { return o.id; })).to.eql([${v('order_id')}]);
});`,
      },
      {
        op: 'export_orders',
        name: 'the buyer\'s paid orders as CSV for a spreadsheet',
        status: 200,
        accept: 'text/csv',
        query: { customer_id: '{{buyer_id}}', status: 'paid', bom: 'true' },
        test: `
pm.test("a byte-order mark, the header, then one row per line of the paid order", function () {
    var bytes = pm.response.stream;
    pm.expect([bytes[0], bytes[1], bytes[2]]).to.eql([0xEF, 0xBB, 0xBF]);
    var text = pm.response.text().replace(/^\uFEFF/, "");
    var lines = text.trim().split(String.fromCharCode(10));
    pm.expect(lines[0]).to.match(/^id,number,status,customer_id,/);
    pm.expect(lines.length).to.be.above(1);
    lines.slice(1).forEach(function (line) {
        pm.expect(line.indexOf(pm.variables.get("order_id"))).to.eql(0);
    });
});`,
      },
      {
        op: 'search_orders',
        name: 'the buyer\'s paid orders over ¥100',
        status: 200,
        body: {
          json: {
            filter: { and: [
              { field: 'customer_id', op: 'eq', value: '{{buyer_id}}' },
              { field: 'status', op: 'in', value: ['paid', 'shipped'] },
              { field: 'total', op: 'gte', value: 10000 },
            ] },
            sort: ['-total'],
            include_total: true,
          },
        },
        test: `
pm.test("the paid order", function () {
    pm.expect(body.data.map(function (o) { return o.id; })).to.eql([${v('order_id')}]);
    pm.expect(body.total).to.eql(1);
});`,
      },
      {
        op: 'get_order_filter_fields',
        status: 200,
        test: `
pm.test("the payment's time is a field, and a number is compared exactly", function () {
    var byName = {};
    body.data.forEach(function (f) { byName[f.name] = f; });
    pm.expect(byName["payment.paid_at"].type).to.eql("date_time");
    pm.expect(byName["number"].operators).to.eql(["eq", "ne", "in", "not_in"]);
});`,
      },
      {
        op: 'search_customers',
        name: 'who bought the tea',
        status: 200,
        body: {
          json: {
            filter: { field: 'purchases', op: 'exists', value: { product_id: '{{tea_product_id}}' } },
          },
        },
        test: `
pm.test("the buyer, through their paid order", function () {
    pm.expect(body.data.map(function (c) { return c.id; })).to.eql([${v('buyer_id')}]);
});`,
      },
      {
        op: 'ship_order',
        status: 200,
        params: { id: '{{order_id}}' },
        body: { json: { carrier: '顺丰速运', tracking_number: 'SF{{run}}' } },
        test: `
pm.test("shipped with its carrier", function () {
    pm.expect(body.status).to.eql("shipped");
    pm.expect(body.shipment.carrier).to.eql("顺丰速运");
});`,
      },
      {
        op: 'add_shipment_event',
        status: 200,
        params: { id: '{{order_id}}' },
        body: { json: { status: 'in_transit', place: '深圳', occurred_at: '2026-12-05T20:10:00Z' } },
        test: `
pm.test("the step is in the shipment's history", function () {
    pm.expect(body.shipment.events.map(function (e) { return e.status; })).to.eql(["in_transit"]);
});`,
      },
      {
        op: 'deliver_order',
        status: 200,
        params: { id: '{{order_id}}' },
        test: `
pm.test("delivered", function () {
    pm.expect(body.status).to.eql("delivered");
});`,
      },
      {
        op: 'get_commerce_settings',
        status: 200,
        test: `${storeEtag('settings_etag')}
pm.test("a refund window in days", function () {
    pm.expect(body.refund_window_days).to.be.a("number");
});`,
      },
      {
        op: 'update_commerce_settings',
        status: 200,
        headers: { 'If-Match': '{{settings_etag}}' },
        body: { json: { refund_window_days: 30 } },
        test: `
pm.test("thirty days to ask for money back", function () {
    pm.expect(body.refund_window_days).to.eql(30);
});`,
      },
      {
        op: 'request_refund',
        name: 'more than was paid',
        status: 409,
        code: 'refund_exceeds_refundable',
        params: { id: '{{order_id}}' },
        body: { json: { amount: 27101 } },
      },
      {
        op: 'request_refund',
        name: 'one tea',
        status: 200,
        params: { id: '{{order_id}}' },
        body: { json: { amount: 12800, reason: '包装破损' } },
        test: `
pm.test("a decision is due", function () {
    pm.expect(body.status).to.eql("refund_requested");
});`,
      },
      {
        op: 'approve_refund',
        status: 200,
        params: { id: '{{order_id}}' },
        body: { json: { reference: 'RF-{{run}}', restock: [{ line_id: '{{tea_line_id}}', quantity: 1 }] } },
        test: `
pm.test("part refunded, one tea back in stock, the order back where it was", function () {
    pm.expect(body.status).to.eql("delivered");
    pm.expect(body.refunded_total).to.eql(12800);
    pm.expect(body.refundable).to.eql(14300);
    pm.expect(body.lines[0].restocked).to.eql(1);
});`,
      },
      {
        op: 'request_refund',
        name: 'the rest',
        status: 200,
        params: { id: '{{order_id}}' },
        body: { json: { amount: 14300 } },
      },
      {
        op: 'reject_refund',
        status: 200,
        params: { id: '{{order_id}}' },
        body: { json: { reason: '已超过七天无理由退货期' } },
        test: `
pm.test("turned down: the money stays", function () {
    pm.expect(body.status).to.eql("delivered");
    pm.expect(body.refunds[1].status).to.eql("rejected");
});`,
      },
      {
        op: 'complete_order',
        status: 200,
        params: { id: '{{order_id}}' },
        test: `
pm.test("completed", function () {
    pm.expect(body.status).to.eql("completed");
});`,
      },
      {
        op: 'create_customer_level',
        status: 201,
        body: { json: { name: '茶友 {{run}}', rank: 1, min_total_spent: 10000, description: 'Spent ¥100 or more' } },
        test: `${storeId('level_id')}${storeEtag('level_etag')}`,
      },
      {
        op: 'get_customer',
        name: 'with figures and level',
        status: 200,
        params: { id: '{{buyer_id}}' },
        test: `
pm.test("one order counted, what it kept, and the level it reaches", function () {
    pm.expect(body.orders_count).to.eql(1);
    pm.expect(body.total_spent).to.eql(14300);
    pm.expect(body.level_id).to.eql(${v('level_id')});
});`,
      },
      {
        op: 'list_customer_levels',
        status: 200,
        query: { sort: '-rank' },
      },
      {
        op: 'get_customer_level',
        status: 200,
        params: { id: '{{level_id}}' },
      },
      {
        op: 'update_customer_level',
        status: 200,
        params: { id: '{{level_id}}' },
        headers: { 'If-Match': '{{level_etag}}' },
        body: { json: { min_total_spent: 20000 } },
        test: `
pm.test("the bar is raised", function () {
    pm.expect(body.min_total_spent).to.eql(20000);
});`,
      },
      {
        op: 'delete_customer_level',
        status: 204,
        params: { id: '{{level_id}}' },
      },
      {
        op: 'batch_upsert_orders',
        name: 'recorded by a shop, already shipped',
        status: 200,
        body: {
          json: {
            orders: [{
              external_id: 'tmall-{{run}}', customer_id: '{{buyer_id}}', currency: 'CNY',
              lines: [{ sku: 'TEA-{{run}}', quantity: 1, unit_price: 9900 }],
              placed_at: '2026-11-11T00:05:00Z', status: 'shipped',
              payment: { method: 'alipay', paid_at: '2026-11-11T00:06:00Z' },
              shipment: { carrier: '顺丰速运', tracking_number: 'SF{{run}}' },
            }],
          },
        },
        test: `${set('recorded_order_id', 'body && body.results[0].id')}
pm.test("created in the state sent", function () {
    pm.expect(body.created).to.eql(1);
    pm.expect(body.results[0].status).to.eql("created");
});`,
      },
      {
        op: 'get_order',
        name: 'as recorded',
        status: 200,
        params: { id: '{{recorded_order_id}}' },
        test: `
pm.test("shipped, at the price sold, placed when the shop placed it", function () {
    pm.expect(body.status).to.eql("shipped");
    pm.expect(body.lines[0].unit_price).to.eql(9900);
    pm.expect(body.created_at).to.eql("2026-11-11T00:05:00Z");
});`,
      },
      {
        op: 'batch_upsert_orders',
        name: 'moved back to paid',
        status: 200,
        body: {
          json: {
            mode: 'per_item',
            orders: [{ external_id: 'tmall-{{run}}', status: 'paid', payment: { method: 'alipay' } }],
          },
        },
        test: `
pm.test("refused: an order moves only forward", function () {
    pm.expect(body.failed).to.eql(1);
    pm.expect(body.results[0].errors[0].code).to.eql("invalid_transition");
});`,
      },
      {
        op: 'create_import',
        name: 'order history, one line a row',
        status: 201,
        body: { json: { resource_type: 'orders', format: 'csv', mapping: { 订单号: 'external_id' } } },
        test: `${storeId('order_import_id')}
pm.test("the job holds orders", function () {
    pm.expect(body.resource_type).to.eql("orders");
});`,
      },
      {
        op: 'upload_import_file',
        name: 'an order of two lines, completed in the shop',
        status: 202,
        params: { id: '{{order_import_id}}' },
        body: {
          contentType: 'text/csv',
          raw: '订单号,customer_id,currency,status,payment.method,shipment.carrier,placed_at,line.description,line.quantity,line.unit_price\n' +
            'hist-{{run}},{{buyer_id}},CNY,completed,cash,到店自提,2026-06-01T10:00:00Z,茶艺课,1,19900\n' +
            'hist-{{run}},{{buyer_id}},CNY,completed,cash,到店自提,2026-06-01T10:00:00Z,茶具租用,2,1500\n',
        },
      },
      {
        op: 'get_import',
        name: 'the order import, once done',
        status: 200,
        params: { id: '{{order_import_id}}' },
        pre: waitForImport('order_import_id'),
        test: `
pm.test("both rows were written, as one order", function () {
    pm.expect(body.status).to.eql("completed");
    pm.expect(body.created_rows).to.eql(2);
    pm.expect(body.failed_rows).to.eql(0);
});`,
      },
      {
        op: 'delete_customer',
        name: 'who has orders',
        status: 409,
        code: 'has_orders',
        params: { id: '{{buyer_id}}' },
      },
    ],
  },
  {
    name: 'Coupons and a promotion',
    description:
      'A winter promotion: a threshold coupon everyone uses by one shared code (¥50 off ¥300, once per customer), tried on a draft that is too small and on one that earns it, taken by an order and redeemed when the order is paid; a second order of the same customer is refused the code. Then a members\' coupon without a shared code (20% off, at most ¥60) is issued into the customer\'s wallet, where it has a code of its own, and that code prices a draft. The promotion is paused, so only the members\' coupon is usable; the promotion cannot be deleted once an order took it, and the members\' coupon, never used, is deleted with the coupon issued of it.\n\n' +
      'What the folder leaves behind: the paused promotion (an order took it) and the customer with their orders.',
    steps: [
      {
        op: 'create_customer',
        name: 'who shops in the winter sale',
        status: 201,
        body: { json: { name: '冬装顾客 {{run}}' } },
        test: `${storeId('coupon_buyer_id')}`,
      },
      {
        op: 'create_coupon',
        name: 'spend ¥300, get ¥50 off, once per customer',
        status: 201,
        body: {
          json: {
            name: '冬季满 300 减 50 {{run}}',
            description: '冬装促销，每位顾客限用一次',
            code: 'winter{{run}}',
            kind: 'threshold',
            currency: 'CNY',
            amount_off: 5000,
            min_order_amount: 30000,
            total_limit: 1000,
            per_customer_limit: 1,
          },
        },
        test: `${storeId('winter_coupon_id')}
pm.test("the shared code is kept in capitals, nothing redeemed yet", function () {
    pm.expect(body.code).to.eql(pm.variables.replaceIn("WINTER{{run}}"));
    pm.expect(body.kind).to.eql("threshold");
    pm.expect(body.status).to.eql("active");
    pm.expect(body.redeemed_count).to.eql(0);
    pm.expect(body.issued_count).to.eql(0);
});`,
      },
      {
        op: 'validate_coupon',
        name: 'a scarf alone, under the minimum',
        status: 200,
        body: {
          json: {
            customer_id: '{{coupon_buyer_id}}',
            currency: 'CNY',
            lines: [{ description: '羊毛围巾', quantity: 1, unit_price: 19900 }],
            shipping: 1000,
            coupon_code: 'winter{{run}}',
          },
        },
        test: `
pm.test("priced without a discount, and told why", function () {
    pm.expect(body.coupon.code).to.eql(pm.variables.replaceIn("WINTER{{run}}"));
    pm.expect(body.coupon.applies).to.eql(false);
    pm.expect(body.coupon.reason_code).to.eql("below_minimum");
    pm.expect(body.discounts).to.eql([]);
    pm.expect(body.discount_total).to.eql(0);
    pm.expect(body.lines_total).to.eql(19900);
    pm.expect(body.total).to.eql(20900);
});`,
      },
      {
        op: 'validate_coupon',
        name: 'a scarf and two pairs of gloves, over it',
        status: 200,
        body: {
          json: {
            customer_id: '{{coupon_buyer_id}}',
            currency: 'CNY',
            lines: [
              { description: '羊毛围巾', quantity: 1, unit_price: 19900 },
              { description: '羊绒手套', quantity: 2, unit_price: 6900 },
            ],
            shipping: 1000,
            coupon_code: 'WINTER{{run}}',
          },
        },
        test: `
pm.test("¥50 off ¥337, shipping on top", function () {
    pm.expect(body.coupon.applies).to.eql(true);
    pm.expect(body.coupon.reason_code).to.eql(null);
    pm.expect(body.lines_total).to.eql(33700);
    pm.expect(body.discounts.map(function (d) { return [d.source_id, d.amount]; })).to.eql([[${v('winter_coupon_id')}, 5000]]);
    pm.expect(body.discount_total).to.eql(5000);
    pm.expect(body.subtotal).to.eql(28700);
    pm.expect(body.total).to.eql(29700);
});`,
      },
      {
        op: 'create_order',
        name: 'with the shared code',
        status: 201,
        body: {
          json: {
            customer_id: '{{coupon_buyer_id}}',
            currency: 'CNY',
            lines: [
              { description: '羊毛围巾', quantity: 1, unit_price: 19900 },
              { description: '羊绒手套', quantity: 2, unit_price: 6900 },
            ],
            shipping: 1000,
            coupon_code: 'WINTER{{run}}',
            channel: 'mini_program',
          },
        },
        test: `${storeId('winter_order_id')}
pm.test("the discount is a line of the totals, as the draft was priced", function () {
    pm.expect(body.coupon_id).to.eql(${v('winter_coupon_id')});
    pm.expect(body.coupon_code).to.eql(pm.variables.replaceIn("WINTER{{run}}"));
    pm.expect(body.discounts[0].name).to.eql(pm.variables.replaceIn("冬季满 300 减 50 {{run}}"));
    pm.expect(body.lines_total).to.eql(33700);
    pm.expect(body.discount_total).to.eql(5000);
    pm.expect(body.subtotal).to.eql(28700);
    pm.expect(body.total).to.eql(29700);
});`,
      },
      {
        op: 'pay_order',
        name: 'which redeems the coupon',
        status: 200,
        params: { id: '{{winter_order_id}}' },
        body: { json: { method: 'alipay', reference: 'ali-{{run}}' } },
        test: `
pm.test("paid what the discount left", function () {
    pm.expect(body.status).to.eql("paid");
    pm.expect(body.refundable).to.eql(29700);
});`,
      },
      {
        op: 'get_coupon',
        name: 'redeemed once',
        status: 200,
        params: { id: '{{winter_coupon_id}}' },
        test: `${storeEtag('winter_coupon_etag')}
pm.test("one redemption counted", function () {
    pm.expect(body.redeemed_count).to.eql(1);
    pm.expect(body.per_customer_limit).to.eql(1);
});`,
      },
      {
        op: 'create_order',
        name: 'the same code a second time',
        status: 422,
        code: 'validation_failed',
        body: {
          json: {
            customer_id: '{{coupon_buyer_id}}',
            currency: 'CNY',
            lines: [
              { description: '羊毛围巾', quantity: 1, unit_price: 19900 },
              { description: '羊绒手套', quantity: 2, unit_price: 6900 },
            ],
            coupon_code: 'WINTER{{run}}',
          },
        },
        test: `
pm.test("the customer has used their one", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["coupon_code customer_limit_reached"]);
});`,
      },
      {
        op: 'create_coupon',
        name: 'for members, 20% off, without a shared code',
        status: 201,
        body: {
          json: {
            name: '会员专享 8 折 {{run}}',
            kind: 'percentage',
            currency: 'CNY',
            percent_off: 20,
            max_discount: 6000,
          },
        },
        test: `${storeId('member_coupon_id')}
pm.test("no shared code: each coupon issued gets its own", function () {
    pm.expect(body.code).to.eql(null);
    pm.expect(body.percent_off).to.eql(20);
});`,
      },
      {
        op: 'issue_coupon',
        name: 'to the customer',
        status: 200,
        params: { id: '{{member_coupon_id}}' },
        body: { json: { customer_ids: ['{{coupon_buyer_id}}'] } },
        test: `
pm.test("one issued", function () {
    pm.expect(body).to.eql({ issued: 1, skipped: 0 });
});`,
      },
      {
        op: 'issue_coupon',
        name: 'to the customer again',
        status: 200,
        params: { id: '{{member_coupon_id}}' },
        body: { json: { customer_ids: ['{{coupon_buyer_id}}'] } },
        test: `
pm.test("passed over: they hold one unused", function () {
    pm.expect(body).to.eql({ issued: 0, skipped: 1 });
});`,
      },
      {
        op: 'list_customer_coupons',
        name: 'those not used yet',
        status: 200,
        params: { id: '{{coupon_buyer_id}}' },
        query: { unused: 'true' },
        test: `${set('member_code', 'body && body.data[0] && body.data[0].code')}
pm.test("the members' coupon, with a code of its own", function () {
    pm.expect(body.data.length).to.eql(1);
    pm.expect(body.data[0].coupon_id).to.eql(${v('member_coupon_id')});
    pm.expect(body.data[0].code).to.match(/^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/);
    pm.expect(body.data[0].percent_off).to.eql(20);
    pm.expect(body.data[0].used).to.eql(false);
});`,
      },
      {
        op: 'validate_coupon',
        name: 'with the customer\'s own code, two scarves',
        status: 200,
        body: {
          json: {
            customer_id: '{{coupon_buyer_id}}',
            currency: 'CNY',
            lines: [{ description: '羊毛围巾', quantity: 2, unit_price: 19900 }],
            coupon_code: '{{member_code}}',
          },
        },
        test: `
pm.test("20% of ¥398 is ¥79.60, capped at ¥60", function () {
    pm.expect(body.coupon.code).to.eql(${v('member_code')});
    pm.expect(body.coupon.applies).to.eql(true);
    pm.expect(body.lines_total).to.eql(39800);
    pm.expect(body.discount_total).to.eql(6000);
    pm.expect(body.total).to.eql(33800);
});`,
      },
      {
        op: 'update_coupon',
        name: 'with If-Match, the promotion paused',
        status: 200,
        params: { id: '{{winter_coupon_id}}' },
        headers: { 'If-Match': '{{winter_coupon_etag}}' },
        body: { json: { status: 'paused' } },
        test: `
pm.test("paused, its redemption kept", function () {
    pm.expect(body.status).to.eql("paused");
    pm.expect(body.redeemed_count).to.eql(1);
    pm.expect('"' + body.version + '"').not.to.eql(${v('winter_coupon_etag')});
});`,
      },
      {
        op: 'list_coupons',
        name: 'those usable now',
        status: 200,
        query: { usable: 'true', limit: '200' },
        test: `
pm.test("the members' coupon, not the paused promotion", function () {
    var ids = body.data.map(function (c) { return c.id; });
    pm.expect(ids).to.include(${v('member_coupon_id')});
    pm.expect(ids).not.to.include(${v('winter_coupon_id')});
    body.data.forEach(function (c) { pm.expect(c.status).to.eql("active"); });
});`,
      },
      {
        op: 'delete_coupon',
        name: 'the promotion an order took',
        status: 409,
        code: 'coupon_in_use',
        params: { id: '{{winter_coupon_id}}' },
      },
      {
        op: 'delete_coupon',
        name: 'the members\' coupon, never used',
        status: 204,
        params: { id: '{{member_coupon_id}}' },
      },
      {
        op: 'list_customer_coupons',
        name: 'after the coupon was deleted',
        status: 200,
        params: { id: '{{coupon_buyer_id}}' },
        test: `
pm.test("the wallet is empty: the issued coupon went with it", function () {
    pm.expect(body.data).to.eql([]);
});`,
      },
    ],
  },
  {
    name: 'Promotions',
    description:
      'Promotions price orders by themselves, without a code. A tea shop runs four: 10% off its tea category, ¥50 off a spend of ¥300, a bamboo spoon given with a spend of ¥150, and ¥10 off starting a week from now (not in force yet, so not among those that price orders now); a promotion with mistakes (a threshold without its minimum spend, with a percentage it cannot have) is refused. Drafts priced without a coupon show that only one promotion applies, the one taking the most off: a tea and a cup get the 10% (¥12 of ¥150), three teas the ¥50 rather than 10% (¥36), and five cups the spoon, added as the last line at its price of ¥8 and taken off again. An order of five cups takes the spoon; the gift promotion is then changed with `If-Match` (a stale one is 412) and deleted, and the order keeps the discount it was priced with, before and after it is paid (which takes the spoon from stock). The tea promotion paused, a tea and a cup cost the full price. At the end every promotion left is deleted, so orders of the folders after this one are priced without them.\n\n' +
      'What the folder leaves behind: the tea category, the three products and the customer with their paid order; no promotion.',
    steps: [
      {
        op: 'create_category',
        name: 'tea, for a promotion',
        status: 201,
        body: { json: { name: '茶 {{run}}' } },
        test: `${storeId('promo_tea_category_id')}`,
      },
      {
        op: 'create_product',
        name: 'a tea in the category',
        status: 201,
        body: {
          json: {
            name: '龙井 {{run}}',
            category_id: '{{promo_tea_category_id}}',
            variants: [{ sku: 'LONGJING-{{run}}', price: 12000, currency: 'CNY', stock: 100 }],
          },
        },
        test: `${storeId('promo_tea_product_id')}${set('promo_tea_variant_id', 'body && body.variants[0].id')}
pm.test("in the tea category", function () {
    pm.expect(body.category_id).to.eql(${v('promo_tea_category_id')});
});`,
      },
      {
        op: 'create_product',
        name: 'a cup, in no category',
        status: 201,
        body: {
          json: {
            name: '青瓷茶杯 {{run}}',
            variants: [{ sku: 'CUP-{{run}}', price: 3000, currency: 'CNY', stock: 100 }],
          },
        },
        test: `${storeId('promo_cup_product_id')}${set('promo_cup_variant_id', 'body && body.variants[0].id')}`,
      },
      {
        op: 'create_product',
        name: 'a bamboo spoon to give away',
        status: 201,
        body: {
          json: {
            name: '竹茶匙 {{run}}',
            variants: [{ sku: 'SPOON-{{run}}', price: 800, currency: 'CNY', stock: 100 }],
          },
        },
        test: `${storeId('promo_spoon_product_id')}${set('promo_spoon_variant_id', 'body && body.variants[0].id')}`,
      },
      {
        op: 'create_customer',
        name: 'who buys in the tea shop',
        status: 201,
        body: { json: { name: '促销顾客 {{run}}' } },
        test: `${storeId('promo_buyer_id')}`,
      },
      {
        op: 'create_promotion',
        name: 'a threshold without its minimum, with a percentage',
        status: 422,
        code: 'validation_failed',
        body: { json: { name: '满减 {{run}}', kind: 'threshold', amount_off: 5000, percent_off: 10 } },
        test: `
pm.test("the minimum spend is required, a percentage not allowed", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; }).sort()).to.eql(["min_order_amount required", "percent_off not_allowed"]);
});`,
      },
      {
        op: 'create_promotion',
        name: '10% off the tea category',
        status: 201,
        body: {
          json: {
            name: '茶叶 9 折 {{run}}',
            description: '茶叶类商品一律 9 折',
            kind: 'percentage',
            percent_off: 10,
            category_ids: ['{{promo_tea_category_id}}'],
          },
        },
        test: `${storeId('promo_tea_id')}${storeEtag('promo_tea_etag')}
pm.test("in force at once, in the workspace's currency", function () {
    pm.expect(body.kind).to.eql("percentage");
    pm.expect(body.percent_off).to.eql(10);
    pm.expect(body.amount_off).to.eql(null);
    pm.expect(body.currency).to.eql("CNY");
    pm.expect(body.category_ids).to.eql([${v('promo_tea_category_id')}]);
    pm.expect(body.product_ids).to.eql([]);
    pm.expect(body.status).to.eql("active");
    pm.expect(body.in_force).to.eql(true);
    pm.expect(body.version).to.eql(1);
});`,
      },
      {
        op: 'create_promotion',
        name: 'spend ¥300, get ¥50 off',
        status: 201,
        body: { json: { name: '满 300 减 50 {{run}}', kind: 'threshold', amount_off: 5000, min_order_amount: 30000 } },
        test: `${storeId('promo_threshold_id')}
pm.test("on every line, in force", function () {
    pm.expect(body.amount_off).to.eql(5000);
    pm.expect(body.min_order_amount).to.eql(30000);
    pm.expect(body.category_ids).to.eql([]);
    pm.expect(body.in_force).to.eql(true);
});`,
      },
      {
        op: 'create_promotion',
        name: 'spend ¥150, get a spoon',
        status: 201,
        body: {
          json: {
            name: '满 150 送茶匙 {{run}}',
            kind: 'gift',
            gift_variant_id: '{{promo_spoon_variant_id}}',
            min_order_amount: 15000,
          },
        },
        test: `${storeId('promo_gift_id')}${storeEtag('promo_gift_etag')}
pm.test("the spoon is the gift", function () {
    pm.expect(body.kind).to.eql("gift");
    pm.expect(body.gift_variant_id).to.eql(${v('promo_spoon_variant_id')});
    pm.expect(body.amount_off).to.eql(null);
    pm.expect(body.in_force).to.eql(true);
});`,
      },
      {
        op: 'create_promotion',
        name: '¥10 off from next week',
        status: 201,
        pre: `// A week from now: the promotion is not in force yet.
${set('promo_next_week', 'new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString().replace(/\\.\\d+Z$/, "Z")')}`,
        body: { json: { name: '下周特惠 {{run}}', kind: 'fixed_amount', amount_off: 1000, valid_from: '{{promo_next_week}}' } },
        test: `${storeId('promo_future_id')}
pm.test("active, but not in force before it starts", function () {
    pm.expect(body.status).to.eql("active");
    pm.expect(Date.parse(body.valid_from)).to.eql(Date.parse(${v('promo_next_week')}));
    pm.expect(body.in_force).to.eql(false);
});`,
      },
      {
        op: 'list_promotions',
        name: 'those in force now',
        status: 200,
        query: { active: 'true', limit: '200' },
        test: `
pm.test("the three running, not the one of next week", function () {
    var ids = body.data.map(function (p) { return p.id; });
    pm.expect(ids).to.include.members([${v('promo_tea_id')}, ${v('promo_threshold_id')}, ${v('promo_gift_id')}]);
    pm.expect(ids).not.to.include(${v('promo_future_id')});
});
pm.test("every one is in force", function () {
    body.data.forEach(function (p) {
        pm.expect(p.status).to.eql("active");
        pm.expect(p.in_force).to.eql(true);
    });
});`,
      },
      {
        op: 'validate_coupon',
        name: 'no coupon, a tea and a cup',
        status: 200,
        body: {
          json: {
            customer_id: '{{promo_buyer_id}}',
            currency: 'CNY',
            lines: [
              { variant_id: '{{promo_tea_variant_id}}', quantity: 1 },
              { variant_id: '{{promo_cup_variant_id}}', quantity: 1 },
            ],
          },
        },
        test: `
pm.test("10% off the tea only (¥12) beats the spoon (¥8); ¥300 is not reached", function () {
    pm.expect(body.coupon).to.eql(null);
    pm.expect(body.lines.length).to.eql(2);
    pm.expect(body.discounts).to.eql([{
        source: "promotion",
        source_id: ${v('promo_tea_id')},
        name: pm.variables.replaceIn("茶叶 9 折 {{run}}"),
        code: null,
        amount: 1200,
        gift_line_id: null
    }]);
    pm.expect(body.lines_total).to.eql(15000);
    pm.expect(body.discount_total).to.eql(1200);
    pm.expect(body.total).to.eql(13800);
});`,
      },
      {
        op: 'validate_coupon',
        name: 'no coupon, three teas',
        status: 200,
        body: {
          json: {
            customer_id: '{{promo_buyer_id}}',
            currency: 'CNY',
            lines: [{ variant_id: '{{promo_tea_variant_id}}', quantity: 3 }],
          },
        },
        test: `
pm.test("only one promotion: ¥50 off ¥360 beats 10% (¥36)", function () {
    pm.expect(body.discounts.map(function (d) { return [d.source, d.source_id, d.amount]; })).to.eql([["promotion", ${v('promo_threshold_id')}, 5000]]);
    pm.expect(body.lines_total).to.eql(36000);
    pm.expect(body.discount_total).to.eql(5000);
    pm.expect(body.total).to.eql(31000);
});`,
      },
      {
        op: 'validate_coupon',
        name: 'no coupon, five cups',
        status: 200,
        body: {
          json: {
            customer_id: '{{promo_buyer_id}}',
            currency: 'CNY',
            lines: [{ variant_id: '{{promo_cup_variant_id}}', quantity: 5 }],
          },
        },
        test: `
pm.test("the spoon is added as the last line, at its price", function () {
    pm.expect(body.lines.length).to.eql(2);
    pm.expect(body.lines[1].variant_id).to.eql(${v('promo_spoon_variant_id')});
    pm.expect(body.lines[1].quantity).to.eql(1);
    pm.expect(body.lines[1].unit_price).to.eql(800);
});
pm.test("and taken off again: the customer pays for the cups", function () {
    pm.expect(body.discounts).to.eql([{
        source: "promotion",
        source_id: ${v('promo_gift_id')},
        name: pm.variables.replaceIn("满 150 送茶匙 {{run}}"),
        code: null,
        amount: 800,
        gift_line_id: body.lines[1].id
    }]);
    pm.expect(body.lines_total).to.eql(15800);
    pm.expect(body.discount_total).to.eql(800);
    pm.expect(body.total).to.eql(15000);
});`,
      },
      {
        op: 'create_order',
        name: 'five cups, with the spoon',
        status: 201,
        body: {
          json: {
            customer_id: '{{promo_buyer_id}}',
            currency: 'CNY',
            lines: [{ variant_id: '{{promo_cup_variant_id}}', quantity: 5 }],
            channel: 'store',
          },
        },
        test: `${storeId('promo_order_id')}${set('promo_order_discounts', 'body && JSON.stringify(body.discounts)')}
pm.test("priced as the draft was: the spoon given", function () {
    pm.expect(body.status).to.eql("pending");
    pm.expect(body.coupon_id).to.eql(null);
    pm.expect(body.lines.map(function (l) { return [l.variant_id, l.quantity, l.line_total]; })).to.eql([
        [${v('promo_cup_variant_id')}, 5, 15000],
        [${v('promo_spoon_variant_id')}, 1, 800]
    ]);
    pm.expect(body.discounts).to.eql([{
        source: "promotion",
        source_id: ${v('promo_gift_id')},
        name: pm.variables.replaceIn("满 150 送茶匙 {{run}}"),
        code: null,
        amount: 800,
        gift_line_id: body.lines[1].id
    }]);
    pm.expect(body.total).to.eql(15000);
});`,
      },
      {
        op: 'update_promotion',
        name: 'with If-Match, the gift from ¥200',
        status: 200,
        params: { id: '{{promo_gift_id}}' },
        headers: { 'If-Match': '{{promo_gift_etag}}' },
        body: { json: { name: '满 200 送茶匙 {{run}}', min_order_amount: 20000 } },
        test: `
pm.test("renamed and raised, a new version", function () {
    pm.expect(body.name).to.eql(pm.variables.replaceIn("满 200 送茶匙 {{run}}"));
    pm.expect(body.min_order_amount).to.eql(20000);
    pm.expect(body.gift_variant_id).to.eql(${v('promo_spoon_variant_id')});
    pm.expect('"' + body.version + '"').not.to.eql(${v('promo_gift_etag')});
});`,
      },
      {
        op: 'update_promotion',
        name: 'with the ETag read before the change',
        status: 412,
        code: 'precondition_failed',
        params: { id: '{{promo_gift_id}}' },
        headers: { 'If-Match': '{{promo_gift_etag}}' },
        body: { json: { status: 'paused' } },
      },
      {
        op: 'delete_promotion',
        name: 'the gift',
        status: 204,
        params: { id: '{{promo_gift_id}}' },
      },
      {
        op: 'get_order',
        name: 'after its promotion was changed and deleted',
        status: 200,
        params: { id: '{{promo_order_id}}' },
        test: `
pm.test("the order keeps the discount it was priced with, under the old name", function () {
    pm.expect(body.discounts).to.eql(JSON.parse(${v('promo_order_discounts')}));
    pm.expect(body.discounts[0].name).to.eql(pm.variables.replaceIn("满 150 送茶匙 {{run}}"));
    pm.expect(body.lines.length).to.eql(2);
    pm.expect(body.total).to.eql(15000);
});`,
      },
      {
        op: 'pay_order',
        name: 'the cups and the spoon',
        status: 200,
        params: { id: '{{promo_order_id}}' },
        body: { json: { method: 'wechat_pay', reference: 'wx-promo-{{run}}' } },
        test: `
pm.test("paid what the discount left, the discount unchanged", function () {
    pm.expect(body.status).to.eql("paid");
    pm.expect(body.discounts).to.eql(JSON.parse(${v('promo_order_discounts')}));
    pm.expect(body.total).to.eql(15000);
    pm.expect(body.refundable).to.eql(15000);
});`,
      },
      {
        op: 'get_product',
        name: 'the spoon, after the order was paid',
        status: 200,
        params: { id: '{{promo_spoon_product_id}}' },
        test: `
pm.test("the spoon given away left the stock", function () {
    pm.expect(body.variants[0].stock).to.eql(99);
});`,
      },
      {
        op: 'update_promotion',
        name: 'with If-Match, the tea promotion paused',
        status: 200,
        params: { id: '{{promo_tea_id}}' },
        headers: { 'If-Match': '{{promo_tea_etag}}' },
        body: { json: { status: 'paused' } },
        test: `
pm.test("paused: no longer in force", function () {
    pm.expect(body.status).to.eql("paused");
    pm.expect(body.in_force).to.eql(false);
    pm.expect(body.percent_off).to.eql(10);
});`,
      },
      {
        op: 'list_promotions',
        name: 'the paused ones',
        status: 200,
        query: { status: 'paused', limit: '200' },
        test: `
pm.test("the tea promotion is among them", function () {
    pm.expect(body.data.map(function (p) { return p.id; })).to.include(${v('promo_tea_id')});
    body.data.forEach(function (p) {
        pm.expect(p.status).to.eql("paused");
        pm.expect(p.in_force).to.eql(false);
    });
});`,
      },
      {
        op: 'validate_coupon',
        name: 'no coupon, a tea and a cup, the tea promotion paused',
        status: 200,
        body: {
          json: {
            customer_id: '{{promo_buyer_id}}',
            currency: 'CNY',
            lines: [
              { variant_id: '{{promo_tea_variant_id}}', quantity: 1 },
              { variant_id: '{{promo_cup_variant_id}}', quantity: 1 },
            ],
          },
        },
        test: `
pm.test("full price: no promotion fits, and the spoon is gone", function () {
    pm.expect(body.lines.length).to.eql(2);
    pm.expect(body.discounts).to.eql([]);
    pm.expect(body.discount_total).to.eql(0);
    pm.expect(body.total).to.eql(15000);
});`,
      },
      {
        op: 'delete_promotion',
        name: 'spend ¥300, get ¥50 off',
        status: 204,
        params: { id: '{{promo_threshold_id}}' },
      },
      {
        op: 'delete_promotion',
        name: 'the paused tea promotion',
        status: 204,
        params: { id: '{{promo_tea_id}}' },
      },
      {
        op: 'delete_promotion',
        name: 'the one of next week',
        status: 204,
        params: { id: '{{promo_future_id}}' },
      },
      {
        op: 'get_promotion',
        name: 'deleted',
        status: 404,
        code: 'not_found',
        params: { id: '{{promo_tea_id}}' },
      },
      {
        op: 'list_promotions',
        name: 'those in force, at the end',
        status: 200,
        query: { active: 'true', limit: '200' },
        test: `
pm.test("none of the folder's promotions is left to price later orders", function () {
    var ids = body.data.map(function (p) { return p.id; });
    [${v('promo_tea_id')}, ${v('promo_threshold_id')}, ${v('promo_gift_id')}, ${v('promo_future_id')}].forEach(function (id) {
        pm.expect(ids).not.to.include(id);
    });
});`,
      },
    ],
  },
  {
    name: 'Campaigns',
    description:
      'A winter SMS campaign to the customers tagged for it. Two customers carry the campaign\'s tag and a third another one; a dynamic segment of the tag is the audience and a ¥10 coupon with a shared code is credited to the campaign. A campaign with mistakes (a negative cost, an end before its start) is refused, each mistake named. The campaign, a draft that started an hour ago, cannot be published without an audience (409 `no_audience`) nor tracked (409 `not_published`); given the segment with `If-Match` it is published, active at once, and its audience freezes: the two tagged customers. Once published, its segment cannot change (422 `not_allowed`), a stale `If-Match` is 412, and publishing again is 409 `invalid_transition`. Tracking events arrive in a batch: each `event_id` counts once (a repeat, in the same batch or a later one, is a duplicate), and a customer outside the audience is refused. One member buys with the campaign named on the order, the third customer with the campaign\'s coupon; the stats count both orders, the reach, the responses and the return on the cost. The member\'s timeline shows the campaign\'s touches by the campaign\'s name. The campaign cannot be deleted while it runs; it is completed (and then cannot be cancelled). A second campaign starting next year is scheduled when published, cancelled and deleted.\n\n' +
      'What the folder leaves behind: the completed campaign, its three customers with their paid orders, the coupon and the segment.',
    steps: [
      {
        op: 'create_customer',
        name: 'the first in the campaign\'s tag',
        status: 201,
        body: { json: { name: '林晓梅 {{run}}', tags: ['camp{{run}}'] } },
        test: `${storeId('camp_first_id')}`,
      },
      {
        op: 'create_customer',
        name: 'the second in the campaign\'s tag',
        status: 201,
        body: { json: { name: '陈志强 {{run}}', tags: ['camp{{run}}'] } },
        test: `${storeId('camp_second_id')}`,
      },
      {
        op: 'create_customer',
        name: 'one with another tag',
        status: 201,
        body: { json: { name: '黄丽娟 {{run}}', tags: ['other{{run}}'] } },
        test: `${storeId('camp_other_id')}`,
      },
      {
        op: 'create_segment',
        name: 'the campaign\'s audience',
        status: 201,
        body: {
          json: {
            name: '活动 {{run}}',
            kind: 'dynamic',
            filter: { field: 'tags', op: 'contains', value: 'camp{{run}}' },
          },
        },
        test: `${storeId('camp_segment_id')}`,
      },
      {
        op: 'create_coupon',
        name: '¥10 off, credited to the campaign',
        status: 201,
        body: {
          json: {
            name: '活动立减 10 元 {{run}}',
            code: 'camp{{run}}',
            kind: 'fixed_amount',
            currency: 'CNY',
            amount_off: 1000,
          },
        },
        test: `${storeId('camp_coupon_id')}
pm.test("the shared code in capitals", function () {
    pm.expect(body.code).to.eql(pm.variables.replaceIn("CAMP{{run}}"));
});`,
      },
      {
        op: 'create_campaign',
        name: 'with a negative cost, ending before it starts',
        status: 422,
        code: 'validation_failed',
        pre: `// An hour ago and two hours ago, without milliseconds.
${set('camp_starts_at', 'new Date(Date.now() - 3600 * 1000).toISOString().replace(/\\.\\d+Z$/, "Z")')}
${set('camp_before_start', 'new Date(Date.now() - 2 * 3600 * 1000).toISOString().replace(/\\.\\d+Z$/, "Z")')}`,
        body: {
          json: {
            name: '冬季回馈 {{run}}',
            campaign_type: 'sms',
            cost: -1,
            starts_at: '{{camp_starts_at}}',
            ends_at: '{{camp_before_start}}',
          },
        },
        test: `
pm.test("both mistakes named", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; }).sort()).to.eql(["cost out_of_range", "ends_at out_of_range"]);
});`,
      },
      {
        op: 'create_campaign',
        name: 'for a segment that does not exist',
        status: 422,
        code: 'validation_failed',
        body: {
          json: {
            name: '冬季回馈 {{run}}',
            campaign_type: 'sms',
            segment_id: '00000000-0000-7000-8000-000000000000',
            starts_at: '{{camp_starts_at}}',
          },
        },
        test: `
pm.test("the segment named", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["segment_id not_found"]);
});`,
      },
      {
        op: 'create_campaign',
        name: 'an SMS campaign with the coupon, started an hour ago, no audience yet',
        status: 201,
        body: {
          json: {
            name: '冬季回馈 {{run}}',
            description: '冬季老客短信回馈，附 10 元立减券',
            campaign_type: 'sms',
            coupon_id: '{{camp_coupon_id}}',
            budget: 80000,
            cost: 50000,
            goal: '唤醒老客复购',
            starts_at: '{{camp_starts_at}}',
          },
        },
        test: `${storeId('campaign_id')}${storeEtag('campaign_etag')}
pm.test("a draft in the workspace's currency, nobody in it yet", function () {
    pm.expect(body.status).to.eql("draft");
    pm.expect(body.campaign_type).to.eql("sms");
    pm.expect(body.currency).to.eql("CNY");
    pm.expect(body.segment_id).to.eql(null);
    pm.expect(body.coupon_id).to.eql(${v('camp_coupon_id')});
    pm.expect(body.budget).to.eql(80000);
    pm.expect(body.cost).to.eql(50000);
    pm.expect(Date.parse(body.starts_at)).to.eql(Date.parse(${v('camp_starts_at')}));
    pm.expect(body.ends_at).to.eql(null);
    pm.expect(body.published_at).to.eql(null);
    pm.expect(body.ended_at).to.eql(null);
    pm.expect(body.member_count).to.eql(0);
    pm.expect(body.version).to.eql(1);
});`,
      },
      {
        op: 'publish_campaign',
        name: 'without an audience',
        status: 409,
        code: 'no_audience',
        params: { id: '{{campaign_id}}' },
      },
      {
        op: 'track_campaign',
        name: 'a draft',
        status: 409,
        code: 'not_published',
        params: { id: '{{campaign_id}}' },
        pre: `// Ten minutes ago: events cannot happen in the future.
${set('camp_event_at', 'new Date(Date.now() - 600 * 1000).toISOString().replace(/\\.\\d+Z$/, "Z")')}`,
        body: {
          json: {
            events: [{ event_id: 'sms-{{run}}-early', customer_id: '{{camp_first_id}}', kind: 'sent', occurred_at: '{{camp_event_at}}' }],
          },
        },
      },
      {
        op: 'update_campaign',
        name: 'with If-Match, the segment as its audience',
        status: 200,
        params: { id: '{{campaign_id}}' },
        headers: { 'If-Match': '{{campaign_etag}}' },
        body: { json: { segment_id: '{{camp_segment_id}}' } },
        test: `
pm.test("still a draft, now with its segment", function () {
    pm.expect(body.segment_id).to.eql(${v('camp_segment_id')});
    pm.expect(body.status).to.eql("draft");
    pm.expect(body.version).to.eql(2);
});`,
      },
      {
        op: 'publish_campaign',
        name: 'started an hour ago',
        status: 200,
        params: { id: '{{campaign_id}}' },
        test: `
pm.test("active at once; the audience froze with the segment's two customers", function () {
    pm.expect(body.status).to.eql("active");
    pm.expect(body.published_at).to.be.a("string");
    pm.expect(body.ended_at).to.eql(null);
    pm.expect(body.member_count).to.eql(2);
});`,
      },
      {
        op: 'list_campaign_members',
        name: 'as the audience froze',
        status: 200,
        params: { id: '{{campaign_id}}' },
        query: { include_total: 'true' },
        test: `
pm.test("the two tagged customers, not the third; nothing sent yet", function () {
    pm.expect(body.data.map(function (m) { return m.customer_id; }).sort()).to.eql([${v('camp_first_id')}, ${v('camp_second_id')}].sort());
    pm.expect(body.total).to.eql(2);
    body.data.forEach(function (m) {
        pm.expect(m.added_at).to.be.a("string");
        pm.expect(m.sent_at == null).to.eql(true);
        pm.expect(m.converted_at == null).to.eql(true);
    });
});`,
      },
      {
        op: 'update_campaign',
        name: 'the segment, once published',
        status: 422,
        code: 'validation_failed',
        params: { id: '{{campaign_id}}' },
        body: { json: { segment_id: null } },
        test: `
pm.test("the audience cannot change any more", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["segment_id not_allowed"]);
});`,
      },
      {
        op: 'update_campaign',
        name: 'with the ETag read before the changes',
        status: 412,
        code: 'precondition_failed',
        params: { id: '{{campaign_id}}' },
        headers: { 'If-Match': '{{campaign_etag}}' },
        body: { json: { cost: 60000 } },
      },
      {
        op: 'update_campaign',
        name: 'its goal, while it runs',
        status: 200,
        params: { id: '{{campaign_id}}' },
        body: { json: { goal: '唤醒 90 天未购的老客' } },
        test: `
pm.test("the goal changed; still active, the cost as it was", function () {
    pm.expect(body.goal).to.eql("唤醒 90 天未购的老客");
    pm.expect(body.status).to.eql("active");
    pm.expect(body.cost).to.eql(50000);
    pm.expect(body.segment_id).to.eql(${v('camp_segment_id')});
});`,
      },
      {
        op: 'publish_campaign',
        name: 'again',
        status: 409,
        code: 'invalid_transition',
        params: { id: '{{campaign_id}}' },
      },
      {
        op: 'track_campaign',
        name: 'sent and delivered to both, opened and clicked by the first, one event twice',
        status: 200,
        params: { id: '{{campaign_id}}' },
        body: {
          json: {
            events: [
              { event_id: 'sms-{{run}}-1-sent', customer_id: '{{camp_first_id}}', kind: 'sent', occurred_at: '{{camp_event_at}}' },
              { event_id: 'sms-{{run}}-2-sent', customer_id: '{{camp_second_id}}', kind: 'sent', occurred_at: '{{camp_event_at}}' },
              { event_id: 'sms-{{run}}-1-delivered', customer_id: '{{camp_first_id}}', kind: 'delivered', occurred_at: '{{camp_event_at}}' },
              { event_id: 'sms-{{run}}-2-delivered', customer_id: '{{camp_second_id}}', kind: 'delivered', occurred_at: '{{camp_event_at}}' },
              { event_id: 'sms-{{run}}-1-opened', customer_id: '{{camp_first_id}}', kind: 'opened', occurred_at: '{{camp_event_at}}' },
              { event_id: 'sms-{{run}}-1-opened', customer_id: '{{camp_first_id}}', kind: 'opened', occurred_at: '{{camp_event_at}}' },
              { event_id: 'sms-{{run}}-1-clicked', customer_id: '{{camp_first_id}}', kind: 'clicked', occurred_at: '{{camp_event_at}}' },
            ],
          },
        },
        test: `
pm.test("six taken, the repeated open once", function () {
    pm.expect(body.accepted).to.eql(6);
    pm.expect(body.duplicates).to.eql(1);
});`,
      },
      {
        op: 'track_campaign',
        name: 'the same batch again',
        status: 200,
        params: { id: '{{campaign_id}}' },
        body: {
          json: {
            events: [
              { event_id: 'sms-{{run}}-1-sent', customer_id: '{{camp_first_id}}', kind: 'sent', occurred_at: '{{camp_event_at}}' },
              { event_id: 'sms-{{run}}-2-sent', customer_id: '{{camp_second_id}}', kind: 'sent', occurred_at: '{{camp_event_at}}' },
              { event_id: 'sms-{{run}}-1-delivered', customer_id: '{{camp_first_id}}', kind: 'delivered', occurred_at: '{{camp_event_at}}' },
              { event_id: 'sms-{{run}}-2-delivered', customer_id: '{{camp_second_id}}', kind: 'delivered', occurred_at: '{{camp_event_at}}' },
              { event_id: 'sms-{{run}}-1-opened', customer_id: '{{camp_first_id}}', kind: 'opened', occurred_at: '{{camp_event_at}}' },
              { event_id: 'sms-{{run}}-1-opened', customer_id: '{{camp_first_id}}', kind: 'opened', occurred_at: '{{camp_event_at}}' },
              { event_id: 'sms-{{run}}-1-clicked', customer_id: '{{camp_first_id}}', kind: 'clicked', occurred_at: '{{camp_event_at}}' },
            ],
          },
        },
        test: `
pm.test("every event seen before: nothing taken", function () {
    pm.expect(body.accepted).to.eql(0);
    pm.expect(body.duplicates).to.eql(7);
});`,
      },
      {
        op: 'track_campaign',
        name: 'for a customer outside the audience',
        status: 422,
        code: 'validation_failed',
        params: { id: '{{campaign_id}}' },
        body: {
          json: {
            events: [{ event_id: 'sms-{{run}}-3-sent', customer_id: '{{camp_other_id}}', kind: 'sent', occurred_at: '{{camp_event_at}}' }],
          },
        },
        test: `
pm.test("the event's customer named", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["events[0].customer_id not_a_member"]);
});`,
      },
      {
        op: 'list_campaign_members',
        name: 'after the events',
        status: 200,
        params: { id: '{{campaign_id}}' },
        test: `
pm.test("the first opened and clicked, the second was only delivered to", function () {
    var byId = {};
    body.data.forEach(function (m) { byId[m.customer_id] = m; });
    var first = byId[${v('camp_first_id')}], second = byId[${v('camp_second_id')}];
    pm.expect(Date.parse(first.sent_at)).to.eql(Date.parse(${v('camp_event_at')}));
    pm.expect(Date.parse(first.clicked_at)).to.eql(Date.parse(${v('camp_event_at')}));
    pm.expect(first.opened_at).to.be.a("string");
    pm.expect(second.delivered_at).to.be.a("string");
    pm.expect(second.opened_at).to.eql(null);
    pm.expect(second.clicked_at).to.eql(null);
});`,
      },
      {
        op: 'create_order',
        name: 'by the first member, credited to the campaign',
        status: 201,
        body: {
          json: {
            customer_id: '{{camp_first_id}}',
            currency: 'CNY',
            lines: [{ description: '羊绒围巾', quantity: 1, unit_price: 30000 }],
            campaign_id: '{{campaign_id}}',
            channel: 'store',
          },
        },
        test: `${storeId('camp_member_order_id')}
pm.test("the order names the campaign", function () {
    pm.expect(body.campaign_id).to.eql(${v('campaign_id')});
    pm.expect(body.total).to.eql(30000);
});`,
      },
      {
        op: 'pay_order',
        name: 'the member\'s order',
        status: 200,
        params: { id: '{{camp_member_order_id}}' },
        body: { json: { method: 'wechat_pay', reference: 'wx-camp-{{run}}-1' } },
        test: `
pm.test("paid, still credited to the campaign", function () {
    pm.expect(body.status).to.eql("paid");
    pm.expect(body.campaign_id).to.eql(${v('campaign_id')});
});`,
      },
      {
        op: 'create_order',
        name: 'by the third customer, with the campaign\'s coupon',
        status: 201,
        body: {
          json: {
            customer_id: '{{camp_other_id}}',
            currency: 'CNY',
            lines: [{ description: '羊毛大衣', quantity: 1, unit_price: 50000 }],
            coupon_code: 'CAMP{{run}}',
            channel: 'mini_program',
          },
        },
        test: `${storeId('camp_coupon_order_id')}
pm.test("¥10 off, not named for the campaign", function () {
    pm.expect(body.coupon_id).to.eql(${v('camp_coupon_id')});
    pm.expect(body.campaign_id).to.eql(null);
    pm.expect(body.discount_total).to.eql(1000);
    pm.expect(body.total).to.eql(49000);
});`,
      },
      {
        op: 'pay_order',
        name: 'the order with the coupon',
        status: 200,
        params: { id: '{{camp_coupon_order_id}}' },
        body: { json: { method: 'alipay', reference: 'ali-camp-{{run}}-2' } },
        test: `
pm.test("paid", function () {
    pm.expect(body.status).to.eql("paid");
    pm.expect(body.total).to.eql(49000);
});`,
      },
      {
        op: 'get_campaign_stats',
        name: 'after the events and the orders',
        status: 200,
        params: { id: '{{campaign_id}}' },
        test: `
pm.test("reach and responses of the members", function () {
    pm.expect(body.campaign_id).to.eql(${v('campaign_id')});
    pm.expect(body.currency).to.eql("CNY");
    pm.expect([body.audience, body.sent, body.delivered, body.opened, body.clicked]).to.eql([2, 2, 2, 1, 1]);
    pm.expect(body.reached).to.eql(2);
    pm.expect(body.responded).to.eql(1);
    pm.expect(body.response_rate).to.eql(0.5);
});
pm.test("the member's credited order converted; the coupon's order counts in the revenue", function () {
    pm.expect(body.converted).to.eql(1);
    pm.expect(body.conversion_rate).to.eql(0.5);
    pm.expect(body.orders).to.eql(2);
    pm.expect(body.revenue).to.eql(79000);
});
pm.test("a return of 58% on the cost", function () {
    pm.expect(body.cost).to.eql(50000);
    pm.expect(body.budget).to.eql(80000);
    pm.expect(body.roi).to.eql(0.58);
});`,
      },
      {
        op: 'get_customer_timeline',
        name: 'the first member\'s campaign touches',
        status: 200,
        params: { id: '{{camp_first_id}}' },
        query: { kinds: 'campaign_touch', include_total: 'true' },
        test: `
pm.test("sent, delivered, opened and clicked, by the campaign's name", function () {
    pm.expect(body.total).to.eql(4);
    pm.expect(body.data.map(function (e) { return e.campaign_touch.kind; }).sort()).to.eql(["clicked", "delivered", "opened", "sent"]);
    body.data.forEach(function (e) {
        pm.expect(e.kind).to.eql("campaign_touch");
        pm.expect(e.campaign_touch.campaign_id).to.eql(${v('campaign_id')});
        pm.expect(e.campaign_touch.campaign_name).to.eql(pm.variables.replaceIn("冬季回馈 {{run}}"));
        pm.expect(e.campaign_touch.customer_id).to.eql(${v('camp_first_id')});
        pm.expect(Date.parse(e.campaign_touch.occurred_at)).to.eql(Date.parse(${v('camp_event_at')}));
    });
});`,
      },
      {
        op: 'delete_campaign',
        name: 'while it runs',
        status: 409,
        code: 'invalid_transition',
        params: { id: '{{campaign_id}}' },
      },
      {
        op: 'complete_campaign',
        name: 'the winter campaign',
        status: 200,
        params: { id: '{{campaign_id}}' },
        test: `
pm.test("completed, with when it ended", function () {
    pm.expect(body.status).to.eql("completed");
    pm.expect(body.ended_at).to.be.a("string");
    pm.expect(body.member_count).to.eql(2);
});`,
      },
      {
        op: 'cancel_campaign',
        name: 'a completed one',
        status: 409,
        code: 'invalid_transition',
        params: { id: '{{campaign_id}}' },
      },
      {
        op: 'create_campaign',
        name: 'an event next year',
        status: 201,
        pre: `// A year from now.
${set('camp_next_year', 'new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString().replace(/\\.\\d+Z$/, "Z")')}`,
        body: {
          json: {
            name: '新春茶会 {{run}}',
            campaign_type: 'event',
            segment_id: '{{camp_segment_id}}',
            starts_at: '{{camp_next_year}}',
          },
        },
        test: `${storeId('campaign_later_id')}
pm.test("a draft costing nothing so far", function () {
    pm.expect(body.status).to.eql("draft");
    pm.expect(body.cost).to.eql(0);
    pm.expect(body.budget).to.eql(null);
});`,
      },
      {
        op: 'publish_campaign',
        name: 'the event next year',
        status: 200,
        params: { id: '{{campaign_later_id}}' },
        test: `
pm.test("scheduled until it starts, its audience frozen", function () {
    pm.expect(body.status).to.eql("scheduled");
    pm.expect(body.member_count).to.eql(2);
});`,
      },
      {
        op: 'cancel_campaign',
        name: 'the scheduled event',
        status: 200,
        params: { id: '{{campaign_later_id}}' },
        test: `
pm.test("cancelled", function () {
    pm.expect(body.status).to.eql("cancelled");
});`,
      },
      {
        op: 'delete_campaign',
        name: 'the cancelled event',
        status: 204,
        params: { id: '{{campaign_later_id}}' },
      },
      {
        op: 'get_campaign',
        name: 'deleted',
        status: 404,
        code: 'not_found',
        params: { id: '{{campaign_later_id}}' },
      },
      {
        op: 'get_campaign',
        name: 'the completed campaign',
        status: 200,
        params: { id: '{{campaign_id}}' },
        test: `
pm.test("completed, its audience and coupon kept", function () {
    pm.expect(body.status).to.eql("completed");
    pm.expect(body.segment_id).to.eql(${v('camp_segment_id')});
    pm.expect(body.coupon_id).to.eql(${v('camp_coupon_id')});
    pm.expect(body.goal).to.eql("唤醒 90 天未购的老客");
});`,
      },
      {
        op: 'list_campaigns',
        name: 'the completed SMS campaigns, latest start first',
        status: 200,
        query: { status: 'completed', campaign_type: 'sms', sort: '-starts_at', limit: '200' },
        test: `
pm.test("the winter campaign is among them; the deleted event is not", function () {
    var ids = body.data.map(function (c) { return c.id; });
    pm.expect(ids).to.include(${v('campaign_id')});
    pm.expect(ids).not.to.include(${v('campaign_later_id')});
    body.data.forEach(function (c, i) {
        pm.expect(c.status).to.eql("completed");
        pm.expect(c.campaign_type).to.eql("sms");
        if (i > 0) pm.expect(Date.parse(c.starts_at) <= Date.parse(body.data[i - 1].starts_at)).to.eql(true);
    });
});`,
      },
    ],
  },
  {
    name: 'Loyalty points',
    description:
      'A customer earns points by paying an order, 2 points per yuan kept for a year under settings changed for the purpose with `If-Match`; staff add points for a complaint, the customer redeems some for a voucher and is refused more than is left, and the ledger pages through every move, newest first, adding up to the balance. Taking more than the balance is refused too; a full refund then takes back what is left of the order\'s points, never below zero. At the end the settings go back to 1 point per yuan, never expiring, so orders paid elsewhere in the collection earn as they would without this folder.\n\n' +
      'What the folder leaves behind: the customer with their refunded order and points ledger.',
    steps: [
      {
        op: 'get_loyalty_settings',
        name: 'as the collection leaves them',
        status: 200,
        test: `${storeEtag('loyalty_etag')}
pm.test("1 point per yuan, kept for ever", function () {
    pm.expect(body.points_per_unit).to.eql(1);
    pm.expect(body.points_currency).to.eql("CNY");
    pm.expect(body.points_expire_days).to.eql(null);
});`,
      },
      {
        op: 'update_loyalty_settings',
        name: 'with If-Match, 2 points per yuan, kept a year',
        status: 200,
        headers: { 'If-Match': '{{loyalty_etag}}' },
        body: { json: { points_per_unit: 2, points_expire_days: 365 } },
        test: `
pm.test("orders paid from now on earn double, for a year", function () {
    pm.expect(body.points_per_unit).to.eql(2);
    pm.expect(body.points_expire_days).to.eql(365);
    pm.expect(body.points_currency).to.eql("CNY");
    pm.expect(body.updated_at).to.be.a("string");
    pm.expect('"' + body.version + '"').not.to.eql(${v('loyalty_etag')});
});`,
      },
      {
        op: 'update_loyalty_settings',
        name: 'with the ETag read before the change',
        status: 412,
        code: 'precondition_failed',
        headers: { 'If-Match': '{{loyalty_etag}}' },
        body: { json: { points_per_unit: 3 } },
      },
      {
        op: 'update_loyalty_settings',
        name: '5000 points per yuan',
        status: 422,
        code: 'validation_failed',
        body: { json: { points_per_unit: 5000 } },
        test: `
pm.test("at most 1000 points per yuan", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["points_per_unit out_of_range"]);
});`,
      },
      {
        op: 'create_customer',
        name: 'who collects points',
        status: 201,
        body: { json: { name: '积分会员 {{run}}' } },
        test: `${storeId('points_customer_id')}`,
      },
      {
        op: 'create_order',
        name: 'a silk scarf for ¥355.99',
        status: 201,
        body: {
          json: {
            customer_id: '{{points_customer_id}}',
            currency: 'CNY',
            lines: [{ description: '真丝围巾', quantity: 1, unit_price: 35599 }],
          },
        },
        test: `${storeId('points_order_id')}${set('points_order_number', 'body && body.number')}
pm.test("¥355.99 to pay", function () {
    pm.expect(body.total).to.eql(35599);
});`,
      },
      {
        op: 'pay_order',
        name: 'which earns points',
        status: 200,
        params: { id: '{{points_order_id}}' },
        body: { json: { method: 'wechat_pay', reference: 'wx-pts-{{run}}' } },
        test: `
pm.test("paid", function () {
    pm.expect(body.status).to.eql("paid");
});`,
      },
      {
        op: 'get_customer_points',
        name: 'after the order was paid',
        status: 200,
        params: { id: '{{points_customer_id}}' },
        test: `
pm.test("355 whole yuan at 2 points each: 711 points, earned by the order", function () {
    pm.expect(body.customer_id).to.eql(${v('points_customer_id')});
    pm.expect(body.balance).to.eql(711);
    pm.expect(body.recent.length).to.eql(1);
    const earn = body.recent[0];
    pm.expect(earn.kind).to.eql("earn");
    pm.expect(earn.points).to.eql(711);
    pm.expect(earn.balance_after).to.eql(711);
    pm.expect(earn.reason).to.eql(${v('points_order_number')});
    pm.expect(earn.order_id).to.eql(${v('points_order_id')});
});
pm.test("they expire 365 days after they were earned", function () {
    const earn = body.recent[0];
    pm.expect(earn.expires_at).to.be.a("string");
    pm.expect(Date.parse(earn.expires_at) - Date.parse(earn.created_at)).to.eql(365 * 24 * 3600 * 1000);
});`,
      },
      {
        op: 'adjust_customer_points',
        name: '200 points for a complaint',
        status: 201,
        params: { id: '{{points_customer_id}}' },
        location: '/api/v1/customers/{{points_customer_id}}/points/ledger',
        body: { json: { points: 200, reason: '投诉补偿' } },
        test: `
pm.test("added, with the reason, never expiring", function () {
    pm.expect(body.customer_id).to.eql(${v('points_customer_id')});
    pm.expect(body.kind).to.eql("adjust");
    pm.expect(body.points).to.eql(200);
    pm.expect(body.balance_after).to.eql(911);
    pm.expect(body.reason).to.eql("投诉补偿");
    pm.expect(body.order_id).to.eql(null);
    pm.expect(body.expires_at).to.eql(null);
});`,
      },
      {
        op: 'redeem_customer_points',
        name: '500 points for a voucher',
        status: 201,
        params: { id: '{{points_customer_id}}' },
        location: '/api/v1/customers/{{points_customer_id}}/points/ledger',
        body: { json: { points: 500, reason: '兑换代金券' } },
        test: `
pm.test("spent: 411 left", function () {
    pm.expect(body.kind).to.eql("redeem");
    pm.expect(body.points).to.eql(-500);
    pm.expect(body.balance_after).to.eql(411);
    pm.expect(body.reason).to.eql("兑换代金券");
});`,
      },
      {
        op: 'redeem_customer_points',
        name: '1000 points, more than is left',
        status: 409,
        code: 'insufficient_points',
        params: { id: '{{points_customer_id}}' },
        body: { json: { points: 1000, reason: '兑换电饭煲' } },
      },
      {
        op: 'list_customer_points_ledger',
        name: 'two at a time, with the total',
        status: 200,
        params: { id: '{{points_customer_id}}' },
        query: { limit: '2', include_total: 'true' },
        test: `${set('points_cursor', 'body && body.next_cursor')}${set('points_page_one', 'JSON.stringify(body.data)')}
pm.test("the redemption and the adjustment, newest first; the refused redemption left nothing", function () {
    pm.expect(body.total).to.eql(3);
    pm.expect(body.has_more).to.eql(true);
    pm.expect(body.next_cursor).to.be.a("string");
    pm.expect(body.data.map(function (e) { return e.kind + " " + e.points + " " + e.balance_after; })).to.eql(["redeem -500 411", "adjust 200 911"]);
});`,
      },
      {
        op: 'list_customer_points_ledger',
        name: 'next page, with the cursor',
        status: 200,
        params: { id: '{{points_customer_id}}' },
        query: { limit: '2', cursor: '{{points_cursor}}' },
        test: `
pm.test("the earning is the oldest entry, and the last", function () {
    pm.expect(body.has_more).to.eql(false);
    pm.expect(body.next_cursor).to.eql(null);
    pm.expect(body.data.map(function (e) { return e.kind + " " + e.points + " " + e.balance_after; })).to.eql(["earn 711 711"]);
});
pm.test("the whole ledger adds up to the balance, 411", function () {
    const all = JSON.parse(${v('points_page_one')}).concat(body.data);
    pm.expect(all.reduce(function (sum, e) { return sum + e.points; }, 0)).to.eql(411);
    all.forEach(function (e, i) {
        if (i + 1 < all.length) pm.expect(e.balance_after).to.eql(all[i + 1].balance_after + e.points);
    });
});`,
      },
      {
        op: 'adjust_customer_points',
        name: 'taking 412 of the 411',
        status: 409,
        code: 'insufficient_points',
        params: { id: '{{points_customer_id}}' },
        body: { json: { points: -412, reason: '扣除误发积分' } },
      },
      {
        op: 'request_refund',
        name: 'the whole scarf',
        status: 200,
        params: { id: '{{points_order_id}}' },
        body: { json: { amount: 35599, reason: '颜色与图片不符' } },
        test: `
pm.test("a decision is due", function () {
    pm.expect(body.status).to.eql("refund_requested");
});`,
      },
      {
        op: 'approve_refund',
        name: 'in full',
        status: 200,
        params: { id: '{{points_order_id}}' },
        body: { json: {} },
        test: `
pm.test("refunded in full", function () {
    pm.expect(body.status).to.eql("refunded");
    pm.expect(body.refunded_total).to.eql(35599);
});`,
      },
      {
        op: 'get_customer_points',
        name: 'after the refund',
        status: 200,
        params: { id: '{{points_customer_id}}' },
        test: `
pm.test("the refund took back the 411 left of the 711 earned: the balance stops at 0", function () {
    pm.expect(body.balance).to.eql(0);
    pm.expect(body.recent.map(function (e) { return e.kind; })).to.eql(["reverse", "redeem", "adjust", "earn"]);
    const reverse = body.recent[0];
    pm.expect(reverse.points).to.eql(-411);
    pm.expect(reverse.balance_after).to.eql(0);
    pm.expect(reverse.reason).to.eql(${v('points_order_number')});
    pm.expect(reverse.order_id).to.eql(${v('points_order_id')});
});`,
      },
      {
        op: 'update_loyalty_settings',
        name: 'back to 1 point per yuan, never expiring',
        status: 200,
        body: { json: { points_per_unit: 1, points_expire_days: null } },
        test: `
pm.test("as the rest of the collection expects them", function () {
    pm.expect(body.points_per_unit).to.eql(1);
    pm.expect(body.points_expire_days).to.eql(null);
    pm.expect(body.points_currency).to.eql("CNY");
});`,
      },
    ],
  },
  {
    name: 'Membership tiers',
    description:
      'Two tiers of the loyalty programme: silver for members who earned 100 points, with points ×1.5, and gold for members who spent ¥500, with 10% off their orders and points ×2; a second tier of the same name or rank is refused, and so are a rank and a discount out of range. A new customer enrols by the mini program and is given a member number but no tier; 100 points added for joining make them silver, and a ¥600 coat paid as silver earns 900 points (600 × 1.5) and makes them gold, so a ¥100 scarf they order is priced with 10% off, by a discount line of the tier. Gold is changed with `If-Match` (a stale one is 412); raised to ¥10,000 it is out of reach, and the member falls back to silver. Silver deleted, the member holds no tier; the membership ends, and gold is deleted too.\n\n' +
      'What the folder leaves behind: the customer, no longer a member, with their paid and cancelled orders and their 1000 points. No tier is left, so orders elsewhere in the collection are priced and earn as they would without this folder.',
    steps: [
      {
        op: 'get_loyalty_settings',
        name: 'what members qualify by',
        status: 200,
        test: `
pm.test("1 point per yuan, and tiers reached within 365 days", function () {
    pm.expect(body.points_per_unit).to.eql(1);
    pm.expect(body.points_currency).to.eql("CNY");
    pm.expect(body.tier_window_days).to.eql(365);
});`,
      },
      {
        op: 'list_membership_tiers',
        name: 'as the collection leaves them',
        status: 200,
        query: { include_total: 'true' },
        test: `
pm.test("there are none", function () {
    pm.expect(body.data).to.eql([]);
    pm.expect(body.total).to.eql(0);
    pm.expect(body.has_more).to.eql(false);
});`,
      },
      {
        op: 'create_membership_tier',
        name: 'silver, for 100 points, points ×1.5',
        status: 201,
        body: {
          json: {
            name: '银卡 {{run}}',
            rank: 10,
            qualification: 'points',
            threshold: 100,
            benefits: ['生日礼券'],
            points_multiplier: 1.5,
            description: '一年内累计 100 积分',
          },
        },
        test: `${storeId('silver_tier_id')}
pm.test("the tier is what was sent, with no discount", function () {
    pm.expect(body.name).to.eql(pm.variables.replaceIn("银卡 {{run}}"));
    pm.expect(body.rank).to.eql(10);
    pm.expect(body.qualification).to.eql("points");
    pm.expect(body.threshold).to.eql(100);
    pm.expect(body.benefits).to.eql(["生日礼券"]);
    pm.expect(body.points_multiplier).to.eql(1.5);
    pm.expect(body.discount_percent, "0 when not sent").to.eql(0);
    pm.expect(body.version).to.eql(1);
});`,
      },
      {
        op: 'create_membership_tier',
        name: 'gold, for ¥500 spent, 10% off and points ×2',
        status: 201,
        body: {
          json: {
            name: '金卡 {{run}}',
            rank: 20,
            qualification: 'spend',
            threshold: 50000,
            benefits: ['全场 9 折', '积分翻倍'],
            discount_percent: 10,
            points_multiplier: 2,
          },
        },
        test: `${storeId('gold_tier_id')}
pm.test("the tier is what was sent", function () {
    pm.expect(body.name).to.eql(pm.variables.replaceIn("金卡 {{run}}"));
    pm.expect(body.rank).to.eql(20);
    pm.expect(body.qualification).to.eql("spend");
    pm.expect(body.threshold).to.eql(50000);
    pm.expect(body.discount_percent).to.eql(10);
    pm.expect(body.points_multiplier).to.eql(2);
    pm.expect(body.description, "null when not sent").to.eql(null);
});`,
      },
      {
        op: 'create_membership_tier',
        name: 'a second tier named like gold',
        status: 409,
        code: 'tier_name_taken',
        body: { json: { name: '金卡 {{run}}', rank: 30, qualification: 'spend', threshold: 100000 } },
        test: `
pm.test("the name is the field in the way", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["name tier_name_taken"]);
});`,
      },
      {
        op: 'create_membership_tier',
        name: 'a second tier at gold\'s rank',
        status: 409,
        code: 'tier_rank_taken',
        body: { json: { name: '铂金卡 {{run}}', rank: 20, qualification: 'spend', threshold: 100000 } },
        test: `
pm.test("the rank is the field in the way", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["rank tier_rank_taken"]);
});`,
      },
      {
        op: 'create_membership_tier',
        name: 'rank 5000 and 95% off',
        status: 422,
        code: 'validation_failed',
        body: {
          json: { name: '钻石卡 {{run}}', rank: 5000, qualification: 'spend', threshold: 1000000, discount_percent: 95 },
        },
        test: `
pm.test("both fields are named: ranks go to 1000, discounts to 90%", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["rank out_of_range", "discount_percent out_of_range"]);
});`,
      },
      {
        op: 'list_membership_tiers',
        name: 'highest rank first',
        status: 200,
        query: { sort: '-rank', include_total: 'true' },
        test: `
pm.test("gold, then silver; the refused tiers were not created", function () {
    pm.expect(body.data.map(function (t) { return t.id; })).to.eql([${v('gold_tier_id')}, ${v('silver_tier_id')}]);
    pm.expect(body.total).to.eql(2);
});`,
      },
      {
        op: 'get_membership_tier',
        name: 'gold',
        status: 200,
        params: { id: '{{gold_tier_id}}' },
        test: `${storeEtag('gold_tier_etag')}
pm.test("it is gold, at version 1", function () {
    pm.expect(body.id).to.eql(${v('gold_tier_id')});
    pm.expect(body.benefits).to.eql(["全场 9 折", "积分翻倍"]);
    pm.expect(pm.response.headers.get("ETag")).to.eql('"1"');
});`,
      },
      {
        op: 'create_customer',
        name: 'who joins the programme',
        status: 201,
        body: { json: { name: '小程序会员 {{run}}' } },
        test: `${storeId('tier_member_id')}
pm.test("not a member yet", function () {
    pm.expect(body.member_number).to.eql(null);
    pm.expect(body.tier_id).to.eql(null);
});`,
      },
      {
        op: 'get_customer_membership',
        name: 'before enrolling',
        status: 404,
        code: 'not_found',
        params: { id: '{{tier_member_id}}' },
      },
      {
        op: 'enrol_customer',
        name: 'by the mini program, with a member number drawn',
        status: 201,
        params: { id: '{{tier_member_id}}' },
        location: '/api/v1/customers/{{tier_member_id}}/membership',
        body: { json: { signup_channel: 'mini_program' } },
        test: `${set('tier_member_number', 'body && body.member_number')}
pm.test("a member, with a number of their own", function () {
    pm.expect(body.customer_id).to.eql(${v('tier_member_id')});
    pm.expect(body.member_number).to.match(/^M[0-9A-Z]{10}$/);
    pm.expect(body.signup_channel).to.eql("mini_program");
    pm.expect(body.member_since).to.be.a("string");
});
pm.test("no tier: they have earned and spent nothing", function () {
    pm.expect(body.tier_id).to.eql(null);
});`,
      },
      {
        op: 'enrol_customer',
        name: 'a second time',
        status: 409,
        code: 'already_member',
        params: { id: '{{tier_member_id}}' },
        body: { json: { signup_channel: 'store' } },
      },
      {
        op: 'adjust_customer_points',
        name: '100 points for joining',
        status: 201,
        params: { id: '{{tier_member_id}}' },
        location: '/api/v1/customers/{{tier_member_id}}/points/ledger',
        body: { json: { points: 100, reason: '入会礼' } },
        test: `
pm.test("added: 100 points", function () {
    pm.expect(body.kind).to.eql("adjust");
    pm.expect(body.balance_after).to.eql(100);
});`,
      },
      {
        op: 'get_customer_membership',
        name: 'after 100 points',
        status: 200,
        params: { id: '{{tier_member_id}}' },
        test: `
pm.test("silver: 100 points reach it", function () {
    pm.expect(body.tier_id).to.eql(${v('silver_tier_id')});
    pm.expect(body.member_number).to.eql(${v('tier_member_number')});
});
pm.test("gold is next, and asks for all of its ¥500: nothing is spent yet", function () {
    pm.expect(body.standing.points).to.eql(100);
    pm.expect(body.standing.spend).to.eql(0);
    pm.expect(body.standing.since).to.be.a("string");
    pm.expect(body.next_tier.tier_id).to.eql(${v('gold_tier_id')});
    pm.expect(body.next_tier.qualification).to.eql("spend");
    pm.expect(body.next_tier.missing).to.eql(50000);
});`,
      },
      {
        op: 'create_order',
        name: 'a cashmere coat for ¥600, as silver',
        status: 201,
        body: {
          json: {
            customer_id: '{{tier_member_id}}',
            currency: 'CNY',
            lines: [{ description: '羊绒大衣', quantity: 1, unit_price: 60000 }],
          },
        },
        test: `${storeId('tier_coat_order_id')}
pm.test("silver takes nothing off: no discount line", function () {
    pm.expect(body.discounts).to.eql([]);
    pm.expect(body.discount_total).to.eql(0);
    pm.expect(body.total).to.eql(60000);
});`,
      },
      {
        op: 'pay_order',
        name: 'the coat',
        status: 200,
        params: { id: '{{tier_coat_order_id}}' },
        body: { json: { method: 'cash' } },
        test: `
pm.test("paid", function () {
    pm.expect(body.status).to.eql("paid");
});`,
      },
      {
        op: 'get_customer_points',
        name: 'after the coat was paid',
        status: 200,
        params: { id: '{{tier_member_id}}' },
        test: `
pm.test("600 yuan at 1 point each, times silver's 1.5: 900 points more, 1000 in all", function () {
    pm.expect(body.balance).to.eql(1000);
    const earn = body.recent[0];
    pm.expect(earn.kind).to.eql("earn");
    pm.expect(earn.points).to.eql(900);
    pm.expect(earn.order_id).to.eql(${v('tier_coat_order_id')});
});`,
      },
      {
        op: 'get_customer_membership',
        name: 'after ¥600 spent',
        status: 200,
        params: { id: '{{tier_member_id}}' },
        test: `
pm.test("gold: ¥600 reaches ¥500, and gold outranks silver", function () {
    pm.expect(body.tier_id).to.eql(${v('gold_tier_id')});
    pm.expect(body.standing.spend).to.eql(60000);
    pm.expect(body.next_tier).to.eql(null);
});`,
      },
      {
        op: 'create_order',
        name: 'a wool scarf for ¥100, as gold',
        status: 201,
        body: {
          json: {
            customer_id: '{{tier_member_id}}',
            currency: 'CNY',
            lines: [{ description: '羊毛围巾', quantity: 1, unit_price: 10000 }],
          },
        },
        test: `${storeId('tier_scarf_order_id')}
pm.test("gold takes 10% off, by a discount line of the tier", function () {
    pm.expect(body.discounts).to.eql([{
        source: "tier",
        source_id: ${v('gold_tier_id')},
        name: pm.variables.replaceIn("金卡 {{run}}"),
        code: null,
        amount: 1000,
        gift_line_id: null
    }]);
    pm.expect(body.lines_total).to.eql(10000);
    pm.expect(body.discount_total).to.eql(1000);
    pm.expect(body.subtotal).to.eql(9000);
    pm.expect(body.total).to.eql(9000);
});`,
      },
      {
        op: 'cancel_order',
        name: 'the scarf',
        status: 200,
        params: { id: '{{tier_scarf_order_id}}' },
        test: `
pm.test("cancelled, its discount kept as it was priced", function () {
    pm.expect(body.status).to.eql("cancelled");
    pm.expect(body.discount_total).to.eql(1000);
});`,
      },
      {
        op: 'search_customers',
        name: 'gold members',
        status: 200,
        body: { json: { filter: { field: 'tier_id', op: 'eq', value: '{{gold_tier_id}}' }, include_total: true } },
        test: `
pm.test("the new member is gold's only one", function () {
    pm.expect(body.data.map(function (c) { return c.id; })).to.eql([${v('tier_member_id')}]);
    pm.expect(body.total).to.eql(1);
});
pm.test("the customer carries their tier and member number", function () {
    pm.expect(body.data[0].tier_id).to.eql(${v('gold_tier_id')});
    pm.expect(body.data[0].member_number).to.eql(${v('tier_member_number')});
    pm.expect(body.data[0].member_since).to.be.a("string");
});`,
      },
      {
        op: 'update_membership_tier',
        name: 'gold, with If-Match, a benefit more',
        status: 200,
        params: { id: '{{gold_tier_id}}' },
        headers: { 'If-Match': '{{gold_tier_etag}}' },
        body: { json: { benefits: ['全场 9 折', '积分翻倍', '专属客服'] } },
        test: `${storeEtag('gold_tier_fresh_etag')}
pm.test("the benefits are replaced and the version grows to 2", function () {
    pm.expect(body.benefits).to.eql(["全场 9 折", "积分翻倍", "专属客服"]);
    pm.expect(body.threshold, "what was not sent stays").to.eql(50000);
    pm.expect(body.version).to.eql(2);
});`,
      },
      {
        op: 'update_membership_tier',
        name: 'gold, with the ETag read before the change',
        status: 412,
        code: 'precondition_failed',
        params: { id: '{{gold_tier_id}}' },
        headers: { 'If-Match': '{{gold_tier_etag}}' },
        body: { json: { threshold: 1000000 } },
        test: `
pm.test("nothing changed: the tier is at version 2", function () {
    pm.expect(body.current_version).to.eql(2);
});`,
      },
      {
        op: 'update_membership_tier',
        name: 'gold, with the fresh ETag, raised to ¥10,000',
        status: 200,
        params: { id: '{{gold_tier_id}}' },
        headers: { 'If-Match': '{{gold_tier_fresh_etag}}' },
        body: { json: { threshold: 1000000 } },
        test: `${storeEtag('gold_tier_etag')}
pm.test("the threshold is raised and the version grows to 3", function () {
    pm.expect(body.threshold).to.eql(1000000);
    pm.expect(body.version).to.eql(3);
});`,
      },
      {
        op: 'get_customer_membership',
        name: 'after gold was raised',
        status: 200,
        params: { id: '{{tier_member_id}}' },
        test: `
pm.test("back to silver: ¥600 no longer reaches gold, 1000 points still reach silver", function () {
    pm.expect(body.tier_id).to.eql(${v('silver_tier_id')});
});`,
      },
      {
        op: 'delete_membership_tier',
        name: 'silver, which the member holds',
        status: 204,
        params: { id: '{{silver_tier_id}}' },
      },
      {
        op: 'get_customer_membership',
        name: 'after silver was deleted',
        status: 200,
        params: { id: '{{tier_member_id}}' },
        test: `
pm.test("still a member, with no tier: gold is out of reach", function () {
    pm.expect(body.member_number).to.eql(${v('tier_member_number')});
    pm.expect(body.tier_id).to.eql(null);
});`,
      },
      {
        op: 'end_customer_membership',
        status: 204,
        params: { id: '{{tier_member_id}}' },
      },
      {
        op: 'get_customer_membership',
        name: 'after it ended',
        status: 404,
        code: 'not_found',
        params: { id: '{{tier_member_id}}' },
      },
      {
        op: 'delete_membership_tier',
        name: 'gold, with If-Match',
        status: 204,
        params: { id: '{{gold_tier_id}}' },
        headers: { 'If-Match': '{{gold_tier_etag}}' },
      },
      {
        op: 'get_membership_tier',
        name: 'gold, after deletion',
        status: 404,
        code: 'not_found',
        params: { id: '{{gold_tier_id}}' },
      },
      {
        op: 'get_customer',
        name: 'the former member',
        status: 200,
        params: { id: '{{tier_member_id}}' },
        test: `
pm.test("no member number, no tier, no date of joining", function () {
    pm.expect(body.member_number).to.eql(null);
    pm.expect(body.member_since).to.eql(null);
    pm.expect(body.tier_id).to.eql(null);
});
pm.test("the paid coat counts; the cancelled scarf does not", function () {
    pm.expect(body.orders_count).to.eql(1);
    pm.expect(body.total_spent).to.eql(60000);
});`,
      },
    ],
  },
  {
    name: 'Rewards',
    description:
      'A rewards catalogue customers exchange their points for: a ¥20 coupon, 300 points with two in stock, and a canvas bag, 100 points with stock not counted; a reward with mistakes (a coupon reward without its coupon, costing 0 points, or naming a coupon that does not exist) is refused. A new customer without points is refused the coupon; given 500 points, they exchange 300 of them for it, and the coupon lands in their wallet with a code of its own while the ledger records the redemption. The exchange took a unit of stock and moved the reward\'s version, so a change with the version read before is 412; with the stock set to 0 the coupon is out of stock and a second exchange changes nothing. The bag is exchanged, found among the gifts still to hand over, and handed over once (a second time is 409 `already_fulfilled`, and a coupon is no gift to hand over). A coupon a reward offers cannot be deleted; a paused reward cannot be exchanged. At the end both rewards are deleted and the customer\'s exchanges keep their names without the rewards; the coupon cannot be deleted while the customer holds the one they bought with points, so it is paused.\n\n' +
      'What the folder leaves behind: the customer with their points ledger (100 points left) and their two exchanges, whose rewards are gone. No reward is left; the coupon stays, paused, with the one issued to the customer in their wallet.',
    steps: [
      {
        op: 'create_coupon',
        name: '¥20 off, for exchanging points',
        status: 201,
        body: {
          json: {
            name: '积分兑换 20 元券 {{run}}',
            description: '积分兑换，下单立减 20 元',
            kind: 'fixed_amount',
            currency: 'CNY',
            amount_off: 2000,
          },
        },
        test: `${storeId('reward_coupon_id')}
pm.test("no shared code: each coupon issued gets its own", function () {
    pm.expect(body.code).to.eql(null);
    pm.expect(body.kind).to.eql("fixed_amount");
    pm.expect(body.amount_off).to.eql(2000);
    pm.expect(body.status).to.eql("active");
});`,
      },
      {
        op: 'create_reward',
        name: 'a coupon reward without its coupon, for 0 points',
        status: 422,
        code: 'validation_failed',
        body: { json: { name: '20 元代金券 {{run}}', kind: 'coupon', points_cost: 0 } },
        test: `
pm.test("both mistakes are named: the coupon is required, a reward costs 1 point or more", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.have.members(["coupon_id required", "points_cost out_of_range"]);
    pm.expect(body.errors.length).to.eql(2);
});`,
      },
      {
        op: 'create_reward',
        name: 'a coupon reward for a coupon that does not exist',
        status: 422,
        code: 'validation_failed',
        body: {
          json: { name: '20 元代金券 {{run}}', kind: 'coupon', coupon_id: '0193a5c6-9999-7000-8000-000000000001', points_cost: 300 },
        },
        test: `
pm.test("the coupon is named as not found", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["coupon_id not_found"]);
});`,
      },
      {
        op: 'create_reward',
        name: 'the ¥20 coupon for 300 points, two in stock',
        status: 201,
        body: {
          json: {
            name: '20 元代金券 {{run}}',
            description: '积分兑换，下单立减 20 元',
            kind: 'coupon',
            coupon_id: '{{reward_coupon_id}}',
            points_cost: 300,
            stock: 2,
          },
        },
        test: `${storeId('coupon_reward_id')}
pm.test("the reward is what was sent, offered and untouched", function () {
    pm.expect(body.name).to.eql(pm.variables.replaceIn("20 元代金券 {{run}}"));
    pm.expect(body.kind).to.eql("coupon");
    pm.expect(body.coupon_id).to.eql(${v('reward_coupon_id')});
    pm.expect(body.variant_id).to.eql(null);
    pm.expect(body.points_cost).to.eql(300);
    pm.expect(body.stock).to.eql(2);
    pm.expect(body.exchanged_count).to.eql(0);
    pm.expect(body.status, "active when not sent").to.eql("active");
    pm.expect(body.available).to.eql(true);
    pm.expect(body.version).to.eql(1);
});`,
      },
      {
        op: 'create_reward',
        name: 'a canvas bag for 100 points, stock not counted',
        status: 201,
        body: { json: { name: '帆布袋 {{run}}', kind: 'gift', points_cost: 100 } },
        test: `${storeId('gift_reward_id')}
pm.test("a gift without a coupon, its stock not counted", function () {
    pm.expect(body.kind).to.eql("gift");
    pm.expect(body.coupon_id).to.eql(null);
    pm.expect(body.points_cost).to.eql(100);
    pm.expect(body.stock).to.eql(null);
    pm.expect(body.description).to.eql(null);
    pm.expect(body.available).to.eql(true);
});`,
      },
      {
        op: 'list_rewards',
        name: 'gifts available for 150 points or less',
        status: 200,
        query: { kind: 'gift', available: 'true', max_points: '150', sort: 'points_cost', limit: '200' },
        test: `
pm.test("the bag is among them, the coupon reward is not", function () {
    const ids = body.data.map(function (r) { return r.id; });
    pm.expect(ids).to.include(${v('gift_reward_id')});
    pm.expect(ids).not.to.include(${v('coupon_reward_id')});
});
pm.test("every one is an available gift costing at most 150 points, cheapest first", function () {
    body.data.forEach(function (r, i) {
        pm.expect(r.kind).to.eql("gift");
        pm.expect(r.available).to.eql(true);
        pm.expect(r.points_cost).to.be.at.most(150);
        if (i > 0) pm.expect(r.points_cost).to.be.at.least(body.data[i - 1].points_cost);
    });
});`,
      },
      {
        op: 'create_customer',
        name: 'who exchanges points',
        status: 201,
        body: { json: { name: '兑换会员 {{run}}' } },
        test: `${storeId('exchange_customer_id')}`,
      },
      {
        op: 'exchange_reward',
        name: 'the coupon, without points',
        status: 409,
        code: 'insufficient_points',
        params: { id: '{{exchange_customer_id}}' },
        body: { json: { reward_id: '{{coupon_reward_id}}' } },
      },
      {
        op: 'adjust_customer_points',
        name: '500 points to exchange',
        status: 201,
        params: { id: '{{exchange_customer_id}}' },
        location: '/api/v1/customers/{{exchange_customer_id}}/points/ledger',
        body: { json: { points: 500, reason: '积分兑换活动赠送' } },
        test: `
pm.test("added: 500 points", function () {
    pm.expect(body.kind).to.eql("adjust");
    pm.expect(body.points).to.eql(500);
    pm.expect(body.balance_after).to.eql(500);
});`,
      },
      {
        op: 'exchange_reward',
        name: 'the coupon, for 300 of the 500 points',
        status: 201,
        params: { id: '{{exchange_customer_id}}' },
        location: '/api/v1/customers/{{exchange_customer_id}}/reward-exchanges',
        body: { json: { reward_id: '{{coupon_reward_id}}' } },
        test: `${storeId('coupon_exchange_id')}${set('reward_coupon_code', 'body && body.coupon_code')}${set('reward_issued_coupon_id', 'body && body.issued_coupon_id')}${set('reward_points_entry_id', 'body && body.points_entry_id')}
pm.test("the customer spent 300 points on the coupon", function () {
    pm.expect(body.customer_id).to.eql(${v('exchange_customer_id')});
    pm.expect(body.reward_id).to.eql(${v('coupon_reward_id')});
    pm.expect(body.reward_name).to.eql(pm.variables.replaceIn("20 元代金券 {{run}}"));
    pm.expect(body.kind).to.eql("coupon");
    pm.expect(body.points).to.eql(300);
    pm.expect(body.points_entry_id).to.be.a("string");
});
pm.test("a coupon issued with a code of its own, nothing to hand over", function () {
    pm.expect(body.coupon_code).to.be.a("string").and.not.empty;
    pm.expect(body.issued_coupon_id).to.be.a("string");
    pm.expect(body.fulfilled_at).to.eql(null);
    pm.expect(body.fulfilment_note).to.eql(null);
});`,
      },
      {
        op: 'list_customer_points_ledger',
        name: 'after the exchange',
        status: 200,
        params: { id: '{{exchange_customer_id}}' },
        test: `
pm.test("the newest entry is the exchange's redemption: 300 points, 200 left", function () {
    const entry = body.data[0];
    pm.expect(entry.id).to.eql(${v('reward_points_entry_id')});
    pm.expect(entry.kind).to.eql("redeem");
    pm.expect(entry.points).to.eql(-300);
    pm.expect(entry.balance_after).to.eql(200);
});
pm.test("the refused exchange left nothing: two entries", function () {
    pm.expect(body.data.map(function (e) { return e.kind + " " + e.points; })).to.eql(["redeem -300", "adjust 500"]);
});`,
      },
      {
        op: 'list_customer_coupons',
        name: 'after the exchange',
        status: 200,
        params: { id: '{{exchange_customer_id}}' },
        test: `
pm.test("the wallet holds the coupon, by the code the exchange gave", function () {
    pm.expect(body.data.length).to.eql(1);
    const coupon = body.data[0];
    pm.expect(coupon.code).to.eql(${v('reward_coupon_code')});
    pm.expect(coupon.id).to.eql(${v('reward_issued_coupon_id')});
    pm.expect(coupon.coupon_id).to.eql(${v('reward_coupon_id')});
    pm.expect(coupon.amount_off).to.eql(2000);
    pm.expect(coupon.used).to.eql(false);
});`,
      },
      {
        op: 'get_reward',
        name: 'the coupon reward, after the exchange',
        status: 200,
        params: { id: '{{coupon_reward_id}}' },
        test: `
pm.test("one unit taken, one exchange counted, the version moved to 2", function () {
    pm.expect(body.stock).to.eql(1);
    pm.expect(body.exchanged_count).to.eql(1);
    pm.expect(body.version).to.eql(2);
    pm.expect(body.available).to.eql(true);
});`,
      },
      {
        op: 'update_reward',
        name: 'with the version read before the exchange',
        status: 412,
        code: 'precondition_failed',
        params: { id: '{{coupon_reward_id}}' },
        headers: { 'If-Match': '"1"' },
        body: { json: { stock: 10 } },
        test: `
pm.test("nothing changed: the reward is at version 2", function () {
    pm.expect(body.current_version).to.eql(2);
});`,
      },
      {
        op: 'update_reward',
        name: 'the coupon reward, stock set to 0',
        status: 200,
        params: { id: '{{coupon_reward_id}}' },
        body: { json: { stock: 0 } },
        test: `
pm.test("still active, but out of stock: not available", function () {
    pm.expect(body.stock).to.eql(0);
    pm.expect(body.status).to.eql("active");
    pm.expect(body.available).to.eql(false);
    pm.expect(body.exchanged_count).to.eql(1);
    pm.expect(body.version).to.eql(3);
});`,
      },
      {
        op: 'exchange_reward',
        name: 'the coupon, out of stock',
        status: 409,
        code: 'out_of_stock',
        params: { id: '{{exchange_customer_id}}' },
        body: { json: { reward_id: '{{coupon_reward_id}}' } },
      },
      {
        op: 'get_customer_points',
        name: 'after the refused exchange',
        status: 200,
        params: { id: '{{exchange_customer_id}}' },
        test: `
pm.test("the balance is still 200", function () {
    pm.expect(body.balance).to.eql(200);
    pm.expect(body.recent.length).to.eql(2);
});`,
      },
      {
        op: 'exchange_reward',
        name: 'the canvas bag, for 100 points',
        status: 201,
        params: { id: '{{exchange_customer_id}}' },
        location: '/api/v1/customers/{{exchange_customer_id}}/reward-exchanges',
        body: { json: { reward_id: '{{gift_reward_id}}' } },
        test: `${storeId('gift_exchange_id')}
pm.test("a gift to hand over, no coupon", function () {
    pm.expect(body.kind).to.eql("gift");
    pm.expect(body.reward_id).to.eql(${v('gift_reward_id')});
    pm.expect(body.points).to.eql(100);
    pm.expect(body.issued_coupon_id).to.eql(null);
    pm.expect(body.coupon_code).to.eql(null);
    pm.expect(body.fulfilled_at).to.eql(null);
});`,
      },
      {
        op: 'list_reward_exchanges',
        name: 'gifts still to hand over',
        status: 200,
        query: { fulfilled: 'false', limit: '200' },
        test: `
pm.test("the bag is among them, the coupon is not", function () {
    const ids = body.data.map(function (e) { return e.id; });
    pm.expect(ids).to.include(${v('gift_exchange_id')});
    pm.expect(ids).not.to.include(${v('coupon_exchange_id')});
});
pm.test("every one is a gift not handed over", function () {
    body.data.forEach(function (e) {
        pm.expect(e.kind).to.eql("gift");
        pm.expect(e.fulfilled_at).to.eql(null);
    });
});`,
      },
      {
        op: 'fulfil_reward_exchange',
        name: 'the bag, collected in the shop',
        status: 200,
        params: { id: '{{gift_exchange_id}}' },
        body: { json: { note: '门店自提' } },
        test: `
pm.test("handed over, with how", function () {
    pm.expect(body.id).to.eql(${v('gift_exchange_id')});
    pm.expect(body.fulfilled_at).to.be.a("string");
    pm.expect(body.fulfilment_note).to.eql("门店自提");
});`,
      },
      {
        op: 'fulfil_reward_exchange',
        name: 'the bag, a second time',
        status: 409,
        code: 'already_fulfilled',
        params: { id: '{{gift_exchange_id}}' },
        body: { json: { note: '快递寄出' } },
      },
      {
        op: 'fulfil_reward_exchange',
        name: 'the coupon',
        status: 409,
        code: 'not_a_gift',
        params: { id: '{{coupon_exchange_id}}' },
        body: { json: {} },
      },
      {
        op: 'list_reward_exchanges',
        name: 'the bag\'s, handed over',
        status: 200,
        query: { reward_id: '{{gift_reward_id}}', fulfilled: 'true', include_total: 'true' },
        test: `
pm.test("the one exchange of the bag, handed over", function () {
    pm.expect(body.data.map(function (e) { return e.id; })).to.eql([${v('gift_exchange_id')}]);
    pm.expect(body.total).to.eql(1);
    pm.expect(body.data[0].fulfilment_note).to.eql("门店自提");
});`,
      },
      {
        op: 'list_customer_reward_exchanges',
        name: 'newest first',
        status: 200,
        params: { id: '{{exchange_customer_id}}' },
        query: { include_total: 'true' },
        test: `
pm.test("the bag, then the coupon; the refused exchanges left nothing", function () {
    pm.expect(body.data.map(function (e) { return e.id; })).to.eql([${v('gift_exchange_id')}, ${v('coupon_exchange_id')}]);
    pm.expect(body.data.map(function (e) { return e.points; })).to.eql([100, 300]);
    pm.expect(body.total).to.eql(2);
});`,
      },
      {
        op: 'delete_coupon',
        name: 'the coupon a reward offers',
        status: 409,
        code: 'coupon_in_use',
        params: { id: '{{reward_coupon_id}}' },
      },
      {
        op: 'update_reward',
        name: 'the bag, paused',
        status: 200,
        params: { id: '{{gift_reward_id}}' },
        body: { json: { status: 'paused' } },
        test: `
pm.test("paused: not available, though its stock is not counted", function () {
    pm.expect(body.status).to.eql("paused");
    pm.expect(body.available).to.eql(false);
    pm.expect(body.exchanged_count).to.eql(1);
});`,
      },
      {
        op: 'exchange_reward',
        name: 'the paused bag, with 100 points left',
        status: 409,
        code: 'reward_paused',
        params: { id: '{{exchange_customer_id}}' },
        body: { json: { reward_id: '{{gift_reward_id}}' } },
      },
      {
        op: 'delete_reward',
        name: 'the coupon reward',
        status: 204,
        params: { id: '{{coupon_reward_id}}' },
      },
      {
        op: 'delete_reward',
        name: 'the bag',
        status: 204,
        params: { id: '{{gift_reward_id}}' },
      },
      {
        op: 'get_reward',
        name: 'the coupon reward, after deletion',
        status: 404,
        code: 'not_found',
        params: { id: '{{coupon_reward_id}}' },
      },
      {
        op: 'list_customer_reward_exchanges',
        name: 'after the rewards were deleted',
        status: 200,
        params: { id: '{{exchange_customer_id}}' },
        test: `
pm.test("both exchanges stay, named as they were, without their rewards", function () {
    pm.expect(body.data.map(function (e) { return e.id; })).to.eql([${v('gift_exchange_id')}, ${v('coupon_exchange_id')}]);
    pm.expect(body.data.map(function (e) { return e.reward_id; })).to.eql([null, null]);
    pm.expect(body.data.map(function (e) { return e.reward_name; })).to.eql([pm.variables.replaceIn("帆布袋 {{run}}"), pm.variables.replaceIn("20 元代金券 {{run}}")]);
});`,
      },
      {
        op: 'delete_coupon',
        name: 'the coupon, no reward offering it, held unused as bought with points',
        status: 409,
        code: 'coupon_in_use',
        params: { id: '{{reward_coupon_id}}' },
        test: `
pm.test("what was paid for with points stays the customer's", function () {
    pm.expect(body.detail).to.include("bought with points");
});`,
      },
      {
        op: 'update_coupon',
        name: 'the coupon, paused instead',
        status: 200,
        params: { id: '{{reward_coupon_id}}' },
        body: { json: { status: 'paused' } },
        test: `
pm.test("paused", function () {
    pm.expect(body.status).to.eql("paused");
    pm.expect(body.issued_count).to.eql(1);
});`,
      },
      {
        op: 'list_customer_coupons',
        name: 'after the coupon was paused',
        status: 200,
        params: { id: '{{exchange_customer_id}}' },
        test: `
pm.test("the wallet still holds the coupon bought with points", function () {
    pm.expect(body.data.map(function (c) { return c.id; })).to.eql([${v('reward_issued_coupon_id')}]);
    pm.expect(body.data[0].code).to.eql(${v('reward_coupon_code')});
    pm.expect(body.data[0].coupon_status).to.eql("paused");
});`,
      },
    ],
  },
  {
    name: 'Following up',
    description:
      'A call logged with the buyer above, a task to call back with a reminder, read against the workspace\'s time zone, completed, and the buyer\'s timeline of activities and orders.',
    steps: [
      {
        op: 'create_activity',
        status: 201,
        body: {
          json: {
            kind: 'call',
            subject: '回访：茶叶口感',
            body: '客户喜欢这款茶，想再买两盒。',
            occurred_at: '2026-12-05T09:30:00Z',
            customer_id: '{{buyer_id}}',
            order_id: '{{order_id}}',
          },
        },
        test: `${storeId('activity_id')}${storeEtag('activity_etag')}
pm.test("the call is the recording user's, about the order", function () {
    pm.expect(body.kind).to.eql("call");
    pm.expect(body.order_id).to.eql(${v('order_id')});
    pm.expect(body.author_id).to.be.a("string");
});`,
      },
      {
        op: 'create_activity',
        name: 'blank and a year ahead',
        status: 422,
        code: 'validation_failed',
        body: { json: { kind: 'note', subject: ' ', occurred_at: '2099-01-01T00:00:00Z', customer_id: '{{buyer_id}}' } },
        test: `
pm.test("both mistakes are named", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["subject blank", "occurred_at in_future"]);
});`,
      },
      {
        op: 'get_customer',
        name: 'the buyer, contacted',
        status: 200,
        params: { id: '{{buyer_id}}' },
        test: `
pm.test("the latest contact is the call", function () {
    pm.expect(body.last_activity_at).to.eql("2026-12-05T09:30:00Z");
});`,
      },
      {
        op: 'update_activity',
        status: 200,
        params: { id: '{{activity_id}}' },
        headers: { 'If-Match': '{{activity_etag}}' },
        body: { json: { body: '想再买两盒，周末来店。', order_id: null } },
        test: `
pm.test("changed, and no longer about the order", function () {
    pm.expect(body.version).to.eql(2);
    pm.expect(body.order_id).to.eql(null);
});`,
      },
      {
        op: 'get_activity',
        status: 200,
        params: { id: '{{activity_id}}' },
        test: `
pm.test("as changed", function () {
    pm.expect(body.body).to.eql("想再买两盒，周末来店。");
});`,
      },
      {
        op: 'list_activities',
        status: 200,
        query: { customer_id: '{{buyer_id}}', kind: 'call' },
        test: `
pm.test("the buyer's calls", function () {
    pm.expect(body.data.map(function (a) { return a.id; })).to.eql([${v('activity_id')}]);
});`,
      },
      {
        op: 'get_workspace_settings',
        status: 200,
        test: `${storeEtag('workspace_etag')}
pm.test("a time zone and the currency records take when they name none", function () {
    pm.expect(body.time_zone).to.be.a("string");
    pm.expect(body.default_currency).to.eql("CNY");
});`,
      },
      {
        op: 'update_workspace_settings',
        status: 200,
        headers: { 'If-Match': '{{workspace_etag}}' },
        body: { json: { time_zone: 'Asia/Shanghai' } },
        test: `
pm.test("today is Shanghai's", function () {
    pm.expect(body.time_zone).to.eql("Asia/Shanghai");
    pm.expect(body.default_currency).to.eql("CNY");
});`,
      },
      {
        op: 'update_workspace_settings',
        name: 'with a currency that is no ISO 4217 code',
        status: 422,
        code: 'validation_failed',
        body: { json: { default_currency: 'yuan' } },
        test: `
pm.test("the default currency is named", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["default_currency invalid_currency"]);
});`,
      },
      {
        op: 'create_task',
        status: 201,
        body: {
          json: {
            title: '周末前回电确认到店时间',
            due_at: '2099-12-31T10:00:00Z',
            remind_at: '2099-12-31T09:00:00Z',
            priority: 'high',
            customer_id: '{{buyer_id}}',
          },
        },
        test: `${storeId('task_id')}${storeEtag('task_etag')}
pm.test("open, and the caller's", function () {
    pm.expect(body.status).to.eql("open");
    pm.expect(body.assignee_id).to.eql(body.created_by);
});`,
      },
      {
        op: 'list_tasks',
        name: 'mine, due after today',
        status: 200,
        query: { assignee: 'me', due: 'later', customer_id: '{{buyer_id}}' },
        test: `
pm.test("the task is among them", function () {
    pm.expect(body.data.map(function (t) { return t.id; })).to.include(${v('task_id')});
});`,
      },
      {
        op: 'update_task',
        name: 'done',
        status: 200,
        params: { id: '{{task_id}}' },
        headers: { 'If-Match': '{{task_etag}}' },
        body: { json: { status: 'done', outcome: '周六下午到店' } },
        test: `
pm.test("done, and when", function () {
    pm.expect(body.status).to.eql("done");
    pm.expect(body.completed_at).to.be.a("string");
});`,
      },
      {
        op: 'update_task',
        name: 'done, then cancelled',
        status: 409,
        code: 'invalid_transition',
        params: { id: '{{task_id}}' },
        body: { json: { status: 'cancelled' } },
      },
      {
        op: 'get_task',
        status: 200,
        params: { id: '{{task_id}}' },
        test: `
pm.test("what came of it", function () {
    pm.expect(body.outcome).to.eql("周六下午到店");
});`,
      },
      {
        op: 'get_customer_timeline',
        status: 200,
        params: { id: '{{buyer_id}}' },
        query: { include_total: 'true' },
        test: `
pm.test("the call and the orders, newest first", function () {
    var kinds = body.data.map(function (e) { return e.kind; });
    pm.expect(kinds).to.include("activity");
    pm.expect(kinds).to.include("order");
    for (var i = 1; i < body.data.length; i++) {
        pm.expect(Date.parse(body.data[i].at) <= Date.parse(body.data[i - 1].at)).to.eql(true);
    }
    pm.expect(body.total).to.eql(body.data.length);
});`,
      },
      {
        op: 'delete_task',
        status: 204,
        params: { id: '{{task_id}}' },
      },
      {
        op: 'delete_activity',
        status: 204,
        params: { id: '{{activity_id}}' },
      },
    ],
  },
  {
    name: 'Deals',
    description:
      'A pipeline with three stages, a field of the workspace\'s own on deals, a deal for the buyer above found by it, moved through two stages and won, its stage history, what each stage holds, and the deal on the buyer\'s timeline.',
    steps: [
      {
        op: 'create_pipeline',
        status: 201,
        body: {
          json: {
            name: '企业团购 {{run}}',
            stages: [
              { name: '接洽', probability: 10 },
              { name: '报价', probability: 60 },
              { name: '谈判', probability: 80 },
            ],
          },
        },
        test: `${storeId('pipeline_id')}${storeEtag('pipeline_etag')}${set('first_stage_id', 'body && body.stages[0].id')}${set('quote_stage_id', 'body && body.stages[1].id')}
pm.test("three stages, in order", function () {
    pm.expect(body.stages.map(function (s) { return s.position; })).to.eql([0, 1, 2]);
});`,
      },
      {
        op: 'create_pipeline',
        name: 'the same name again',
        status: 409,
        code: 'pipeline_name_taken',
        body: { json: { name: '企业团购 {{run}}', stages: [{ name: '接洽', probability: 10 }] } },
      },
      {
        op: 'update_pipeline',
        status: 200,
        params: { id: '{{pipeline_id}}' },
        headers: { 'If-Match': '{{pipeline_etag}}' },
        body: { json: { name: '企业团购（华东）{{run}}' } },
        test: `
pm.test("renamed, its stages kept", function () {
    pm.expect(body.version).to.eql(2);
    pm.expect(body.stages.length).to.eql(3);
});`,
      },
      {
        op: 'get_pipeline',
        status: 200,
        params: { id: '{{pipeline_id}}' },
      },
      {
        op: 'list_pipelines',
        status: 200,
        test: `
pm.test("the pipeline is listed", function () {
    pm.expect(body.data.map(function (p) { return p.id; })).to.include(${v('pipeline_id')});
});`,
      },
      {
        op: 'create_custom_field',
        name: 'a choice field on deals',
        status: 201,
        body: {
          json: {
            resource_type: 'deal', key: 'delivery_window_{{run}}', label: 'Delivery window',
            field_type: 'enum', options: ['Q1', 'Q2', 'Q3', 'Q4'],
          },
        },
        test: `${storeId('deal_field_id')}
pm.test("the definition belongs to deals", function () {
    pm.expect(body.resource_type).to.eql("deal");
});`,
      },
      {
        op: 'create_deal',
        name: 'with a value the field does not offer',
        status: 422,
        code: 'validation_failed',
        body: {
          json: {
            name: '年会礼品：茶叶礼盒 200 份',
            customer_id: '{{buyer_id}}',
            pipeline_id: '{{pipeline_id}}',
            amount: 2560000,
            currency: 'CNY',
            custom_fields: { 'delivery_window_{{run}}': 'Q5' },
          },
        },
        test: `
pm.test("the field says why", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; }))
        .to.eql([pm.variables.replaceIn("custom_fields.delivery_window_{{run}} invalid_option")]);
});`,
      },
      {
        op: 'create_deal',
        status: 201,
        body: {
          json: {
            name: '年会礼品：茶叶礼盒 200 份',
            customer_id: '{{buyer_id}}',
            pipeline_id: '{{pipeline_id}}',
            amount: 2560000,
            currency: 'CNY',
            expected_close_date: '2026-12-20',
            custom_fields: { 'delivery_window_{{run}}': 'Q1' },
          },
        },
        test: `${storeId('deal_id')}${storeEtag('deal_etag')}
pm.test("open, in the first stage, with its delivery window", function () {
    pm.expect(body.status).to.eql("open");
    pm.expect(body.stage_id).to.eql(${v('first_stage_id')});
    pm.expect(body.custom_fields[pm.variables.replaceIn("delivery_window_{{run}}")]).to.eql("Q1");
});`,
      },
      {
        op: 'search_deals',
        name: 'open deals to deliver in Q1',
        status: 200,
        body: {
          json: {
            filter: { and: [
              { field: 'status', op: 'eq', value: 'open' },
              { field: 'custom_fields.delivery_window_{{run}}', op: 'eq', value: 'Q1' },
              { field: 'name', op: 'contains', value: '茶叶' },
            ] },
            sort: ['-amount'],
            include_total: true,
          },
        },
        test: `
pm.test("the deal", function () {
    pm.expect(body.data.map(function (d) { return d.id; })).to.eql([${v('deal_id')}]);
    pm.expect(body.total).to.eql(1);
});`,
      },
      {
        op: 'get_deal_filter_fields',
        status: 200,
        test: `
pm.test("the deal's own fields and its custom fields", function () {
    var byName = {};
    body.data.forEach(function (f) { byName[f.name] = f; });
    pm.expect(byName["expected_close_date"].type).to.eql("date");
    pm.expect(byName[pm.variables.replaceIn("custom_fields.delivery_window_{{run}}")].options)
        .to.eql(["Q1", "Q2", "Q3", "Q4"]);
});`,
      },
      {
        op: 'update_deal',
        name: 'to the quote stage',
        status: 200,
        params: { id: '{{deal_id}}' },
        headers: { 'If-Match': '{{deal_etag}}' },
        body: { json: { stage_id: '{{quote_stage_id}}' } },
        test: `
pm.test("moved", function () {
    pm.expect(body.stage_id).to.eql(${v('quote_stage_id')});
});`,
      },
      {
        op: 'get_pipeline_summary',
        status: 200,
        params: { id: '{{pipeline_id}}' },
        test: `
pm.test("the quote stage holds the deal, weighted at 60 %", function () {
    var quote = body.stages[1];
    pm.expect(quote.count).to.eql(1);
    pm.expect(quote.totals).to.eql([{ currency: "CNY", count: 1, amount: 2560000, weighted_amount: 1536000 }]);
});`,
      },
      {
        op: 'update_deal',
        name: 'lost without a reason',
        status: 422,
        code: 'validation_failed',
        params: { id: '{{deal_id}}' },
        body: { json: { status: 'lost' } },
        test: `
pm.test("the reason is required", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["lost_reason required"]);
});`,
      },
      {
        op: 'update_deal',
        name: 'won',
        status: 200,
        params: { id: '{{deal_id}}' },
        body: { json: { status: 'won' } },
        test: `
pm.test("won, and when", function () {
    pm.expect(body.status).to.eql("won");
    pm.expect(body.closed_at).to.be.a("string");
});`,
      },
      {
        op: 'get_deal',
        status: 200,
        params: { id: '{{deal_id}}' },
      },
      {
        op: 'delete_custom_field',
        name: 'the field on deals',
        status: 204,
        params: { id: '{{deal_field_id}}' },
      },
      {
        op: 'update_deal_reminder_settings',
        status: 200,
        body: { json: { close_date_days: 3, stage_days: 14 } },
        test: `
pm.test("both rules on", function () {
    pm.expect(body.close_date_days).to.eql(3);
    pm.expect(body.stage_days).to.eql(14);
});`,
      },
      {
        op: 'update_deal_reminder_settings',
        name: 'a stage rule of no days',
        status: 422,
        code: 'validation_failed',
        body: { json: { stage_days: 0 } },
      },
      {
        op: 'update_deal_reminder_settings',
        name: 'both off again',
        status: 200,
        body: { json: { close_date_days: null, stage_days: null } },
      },
      {
        op: 'get_deal_reminder_settings',
        status: 200,
        test: `
pm.test("off", function () {
    pm.expect(body.close_date_days).to.eql(null);
    pm.expect(body.stage_days).to.eql(null);
});`,
      },
      {
        op: 'create_task',
        name: 'about the deal',
        status: 201,
        body: { json: { title: '寄送合同', customer_id: '{{buyer_id}}', deal_id: '{{deal_id}}' } },
        test: `${storeId('deal_task_id')}
pm.test("the task names the deal", function () {
    pm.expect(body.deal_id).to.eql(${v('deal_id')});
});`,
      },
      {
        op: 'list_tasks',
        name: 'about the deal',
        status: 200,
        query: { deal_id: '{{deal_id}}' },
        test: `
pm.test("the deal's task", function () {
    pm.expect(body.data.map(function (t) { return t.id; })).to.eql([${v('deal_task_id')}]);
});`,
      },
      {
        op: 'delete_task',
        name: 'the deal\'s task',
        status: 204,
        params: { id: '{{deal_task_id}}' },
      },
      {
        op: 'list_deals',
        status: 200,
        query: { pipeline_id: '{{pipeline_id}}', status: 'won' },
        test: `
pm.test("the won deal", function () {
    pm.expect(body.data.map(function (d) { return d.id; })).to.eql([${v('deal_id')}]);
});`,
      },
      {
        op: 'get_deal_stage_history',
        status: 200,
        params: { id: '{{deal_id}}' },
        test: `
pm.test("one stay per stage entered, the last one open", function () {
    pm.expect(body.data.map(function (s) { return s.stage_name; })).to.eql(["接洽", "报价"]);
    pm.expect(body.data[0].left_at).to.be.a("string");
    pm.expect(body.data[1].left_at).to.eql(null);
    body.data.forEach(function (s) { pm.expect(s.duration_seconds).to.be.at.least(0); });
});`,
      },
      {
        op: 'get_customer_timeline',
        name: 'the buyer\'s deals',
        status: 200,
        params: { id: '{{buyer_id}}' },
        query: { kinds: 'deal' },
        test: `
pm.test("the deal is on it", function () {
    pm.expect(body.data.map(function (e) { return e.deal.id; })).to.include(${v('deal_id')});
});`,
      },
      {
        op: 'delete_pipeline',
        name: 'holding a deal',
        status: 409,
        code: 'pipeline_in_use',
        params: { id: '{{pipeline_id}}' },
      },
      {
        op: 'delete_deal',
        status: 204,
        params: { id: '{{deal_id}}' },
      },
      {
        op: 'delete_pipeline',
        status: 204,
        params: { id: '{{pipeline_id}}' },
      },
    ],
  },
  {
    name: 'Leads',
    description:
      'A lead from a trade fair, contacted, found among the hot leads, and converted into a customer and a deal in one step: a deal in an unknown pipeline makes nothing, a second conversion is refused. Removes what it made at the end.',
    steps: [
      {
        op: 'create_pipeline',
        name: 'a pipeline for the deal',
        status: 201,
        body: { json: { name: '展会线索 {{run}}', stages: [{ name: '接洽', probability: 10 }, { name: '报价', probability: 60 }] } },
        test: `${storeId('lead_pipeline_id')}`,
      },
      {
        op: 'create_lead',
        status: 201,
        body: {
          json: {
            name: '王芳',
            company: '明德茶业',
            email: 'wang.fang.{{run}}@mingde-tea.cn',
            source: 'trade_fair',
            rating: 'hot',
            score: 80,
          },
        },
        test: `${storeId('lead_id')}${storeEtag('lead_etag')}
pm.test("new, owned by the caller", function () {
    pm.expect(body.status).to.eql("new");
    pm.expect(body.owner_id).to.be.a("string");
});`,
      },
      {
        op: 'update_lead',
        name: 'contacted',
        status: 200,
        params: { id: '{{lead_id}}' },
        headers: { 'If-Match': '{{lead_etag}}' },
        body: { json: { status: 'contacted', notes: 'Wants 200 gift boxes before the new year.' } },
        test: `
pm.test("contacted", function () {
    pm.expect(body.status).to.eql("contacted");
    pm.expect(body.version).to.eql(2);
});`,
      },
      {
        op: 'update_lead',
        name: 'back to new',
        status: 409,
        code: 'invalid_transition',
        params: { id: '{{lead_id}}' },
        body: { json: { status: 'new' } },
      },
      {
        op: 'list_leads',
        name: 'the hot leads',
        status: 200,
        query: { rating: 'hot', min_score: '50', sort: '-score' },
        test: `
pm.test("the lead is among them", function () {
    pm.expect(body.data.map(function (l) { return l.id; })).to.include(${v('lead_id')});
    body.data.forEach(function (l) { pm.expect(l.score).to.be.at.least(50); });
});`,
      },
      {
        op: 'get_lead',
        status: 200,
        params: { id: '{{lead_id}}' },
      },
      {
        op: 'convert_lead',
        name: 'with a deal in an unknown pipeline',
        status: 422,
        code: 'validation_failed',
        params: { id: '{{lead_id}}' },
        body: { json: { deal: { name: '年会礼品', pipeline_id: '0193a5c9-ffff-7000-8000-000000000000', amount: 2560000, currency: 'CNY' } } },
        test: `
pm.test("the deal's pipeline is named, and nothing was made", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["deal.pipeline_id not_found"]);
});`,
      },
      {
        op: 'convert_lead',
        status: 200,
        params: { id: '{{lead_id}}' },
        body: { json: { deal: { name: '年会礼品：茶叶礼盒 200 份', pipeline_id: '{{lead_pipeline_id}}', amount: 2560000, currency: 'CNY', expected_close_date: '2026-12-20' } } },
        test: `${set('lead_customer_id', 'body && body.customer.id')}${set('lead_deal_id', 'body && body.deal.id')}
pm.test("a customer made from the lead and a deal for them", function () {
    pm.expect(body.lead.status).to.eql("converted");
    pm.expect(body.customer_created).to.eql(true);
    pm.expect(body.customer.name).to.eql("王芳");
    pm.expect(body.customer.lifecycle_stage).to.eql("prospect");
    pm.expect(body.deal.customer_id).to.eql(body.customer.id);
    pm.expect(body.lead.customer_id).to.eql(body.customer.id);
    pm.expect(body.lead.deal_id).to.eql(body.deal.id);
});`,
      },
      {
        op: 'convert_lead',
        name: 'a second time',
        status: 409,
        code: 'lead_converted',
        params: { id: '{{lead_id}}' },
        body: { json: {} },
      },
      {
        op: 'delete_lead',
        status: 204,
        params: { id: '{{lead_id}}' },
      },
      {
        op: 'delete_deal',
        name: 'the converted lead\'s deal',
        status: 204,
        params: { id: '{{lead_deal_id}}' },
      },
      {
        op: 'delete_pipeline',
        name: 'the lead pipeline',
        status: 204,
        params: { id: '{{lead_pipeline_id}}' },
      },
      {
        op: 'delete_customer',
        name: 'the converted lead\'s customer',
        status: 204,
        params: { id: '{{lead_customer_id}}' },
      },
    ],
  },
  {
    name: 'Caring for customers',
    description:
      'A next-day return visit for the customers of a segment: the plan run twice records the occasion and its task once, what came of it is recorded as a care activity, and a segment a plan is for stays. Removes what it made at the end.',
    steps: [
      {
        op: 'create_customer',
        name: 'a customer to visit',
        status: 201,
        body: { json: { name: '回访客户 {{run}}', tags: ['care-{{run}}'] } },
        test: `${storeId('care_customer_id')}`,
      },
      {
        op: 'create_segment',
        name: 'who the plan is for',
        status: 201,
        body: {
          json: {
            name: '回访名单 {{run}}',
            kind: 'dynamic',
            filter: { field: 'tags', op: 'contains', value: 'care-{{run}}' },
          },
        },
        test: `${storeId('care_segment_id')}`,
      },
      {
        op: 'create_care_plan',
        status: 201,
        body: {
          json: {
            name: '次日回访 {{run}}',
            schedule: { kind: 'recurring', every: 1, unit: 'days', days_before: 1 },
            segment_id: '{{care_segment_id}}',
            manner: 'call',
            emits_event: true,
          },
        },
        test: `${storeId('care_plan_id')}${storeEtag('care_plan_etag')}
pm.test("active, making a task and an event", function () {
    pm.expect(body.status).to.eql("active");
    pm.expect(body.makes_task).to.eql(true);
    pm.expect(body.emits_event).to.eql(true);
});`,
      },
      {
        op: 'create_care_plan',
        name: 'the same name again',
        status: 409,
        code: 'care_plan_name_taken',
        body: { json: { name: '次日回访 {{run}}', schedule: { kind: 'birthday' }, manner: 'call' } },
      },
      {
        op: 'create_care_plan',
        name: 'doing nothing',
        status: 422,
        code: 'validation_failed',
        body: { json: { name: '无动作 {{run}}', schedule: { kind: 'birthday' }, manner: 'sms', makes_task: false } },
        test: `
pm.test("the plan must do something", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["makes_task no_action"]);
});`,
      },
      {
        op: 'run_care_plan',
        status: 200,
        params: { id: '{{care_plan_id}}' },
        test: `
pm.test("the customer's occasion is recorded, with its task and event", function () {
    pm.expect(body).to.eql({ due: 1, participations: 1, tasks: 1, events: 1 });
});`,
      },
      {
        op: 'run_care_plan',
        name: 'again',
        status: 200,
        params: { id: '{{care_plan_id}}' },
        test: `
pm.test("nothing twice", function () {
    pm.expect(body).to.eql({ due: 1, participations: 0, tasks: 0, events: 0 });
});`,
      },
      {
        op: 'list_care_participations',
        status: 200,
        params: { id: '{{care_plan_id}}' },
        test: `${set('care_participation_id', 'body && body.data[0] && body.data[0].id')}
pm.test("one pending occasion with its task", function () {
    pm.expect(body.data.length).to.eql(1);
    pm.expect(body.data[0].status).to.eql("pending");
    pm.expect(body.data[0].task_id).to.be.a("string");
});`,
      },
      {
        op: 'record_care_outcome',
        status: 200,
        params: { id: '{{care_participation_id}}' },
        body: { json: { status: 'done', feedback: '很满意，下月再来' } },
        test: `
pm.test("done, recorded as a care activity", function () {
    pm.expect(body.status).to.eql("done");
    pm.expect(body.activity_id).to.be.a("string");
});`,
      },
      {
        op: 'record_care_outcome',
        name: 'a second time',
        status: 409,
        code: 'participation_closed',
        params: { id: '{{care_participation_id}}' },
        body: { json: { status: 'declined' } },
      },
      {
        op: 'update_care_plan',
        name: 'paused',
        status: 200,
        params: { id: '{{care_plan_id}}' },
        headers: { 'If-Match': '{{care_plan_etag}}' },
        body: { json: { status: 'paused' } },
        test: `
pm.test("paused", function () {
    pm.expect(body.status).to.eql("paused");
    pm.expect(body.last_run_on).to.be.a("string");
});`,
      },
      {
        op: 'get_care_plan',
        status: 200,
        params: { id: '{{care_plan_id}}' },
      },
      {
        op: 'list_care_plans',
        status: 200,
        query: { status: 'paused' },
        test: `
pm.test("the paused plan is listed", function () {
    pm.expect(body.data.map(function (p) { return p.id; })).to.include(${v('care_plan_id')});
});`,
      },
      {
        op: 'delete_segment',
        name: 'a plan is for it',
        status: 409,
        code: 'segment_in_use',
        params: { id: '{{care_segment_id}}' },
      },
      {
        op: 'delete_care_plan',
        status: 204,
        params: { id: '{{care_plan_id}}' },
      },
      {
        op: 'delete_segment',
        name: 'the care segment',
        status: 204,
        params: { id: '{{care_segment_id}}' },
      },
      {
        op: 'delete_customer',
        name: 'the visited customer',
        status: 204,
        params: { id: '{{care_customer_id}}' },
      },
    ],
  },
  {
    name: 'Serving customers',
    description:
      'A customer\'s complaint about a late delivery from WeChat, worked from new to resolved: a ticket without a subject is refused and one cannot be resolved before it is open, an internal note leaves the customer unanswered and a public reply answers them, only the reply is shown to the customer, the customer rates the resolved ticket once, and the ticket is found among the resolved VIP tickets and the customer\'s own, and by a search for the customer\'s complaints rated four stars or more (a field the filter does not know is refused, named by its path); an around-the-clock SLA policy gives it its due times, and return-visit rules call customers back after a resolved complaint or a delivered order. Removes what it made at the end and puts the return-visit rules back.',
    steps: [
      {
        op: 'get_ticket_assignment_settings',
        status: 200,
        test: `
pm.test("automatic assignment is a switch", function () {
    pm.expect(body.automatic).to.be.a("boolean");
});`,
      },
      {
        op: 'update_ticket_assignment_settings',
        name: 'tickets wait to be taken up',
        status: 200,
        body: { json: { automatic: false } },
        test: `
pm.test("no automatic assignment: a new ticket stays unassigned until an agent takes it", function () {
    pm.expect(body.automatic).to.eql(false);
});`,
      },
      {
        op: 'get_return_visit_settings',
        status: 200,
        test: `${storeEtag('return_visit_etag')}
${set('return_visit_version', 'body && body.version')}
${set('return_visit_rules', 'body && JSON.stringify(body.rules)')}
pm.test("the rules are a list, kept to be put back at the end", function () {
    pm.expect(body.rules).to.be.an("array");
    pm.expect(body.version).to.be.a("number");
});
pm.test("never changed exactly while at the first version", function () {
    pm.expect(body.updated_at === null).to.eql(body.version === 1);
});`,
      },
      {
        op: 'update_return_visit_settings',
        name: 'a call back after a resolved complaint and after a delivered order, with If-Match',
        status: 200,
        headers: { 'If-Match': '{{return_visit_etag}}' },
        body: {
          json: {
            rules: [
              { occasion: 'ticket_resolved', ticket_type: 'complaint', after_days: 3, create: 'task' },
              { occasion: 'order_delivered', after_days: 7, create: 'ticket' },
            ],
          },
        },
        test: `${storeEtag('return_visit_etag')}
pm.test("both rules, as sent: a task 3 days after a complaint is resolved, a ticket 7 days after an order is delivered", function () {
    pm.expect(body.rules).to.eql([
        { occasion: "ticket_resolved", ticket_type: "complaint", after_days: 3, create: "task" },
        { occasion: "order_delivered", ticket_type: null, after_days: 7, create: "ticket" }
    ]);
});
pm.test("the version grows by one, and the change is stamped", function () {
    pm.expect(body.version).to.eql(Number(${v('return_visit_version')}) + 1);
    pm.expect(body.updated_at).to.be.a("string");
});`,
      },
      {
        op: 'update_return_visit_settings',
        name: 'a resolved ticket of no type and a delivered order after no days',
        status: 422,
        code: 'validation_failed',
        body: {
          json: {
            rules: [
              { occasion: 'ticket_resolved', after_days: 3, create: 'task' },
              { occasion: 'order_delivered', after_days: 0, create: 'ticket' },
            ],
          },
        },
        test: `
pm.test("the missing type and the days are named, rule by rule", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["rules[0].ticket_type required", "rules[1].after_days out_of_range"]);
});`,
      },
      {
        op: 'create_sla_policy',
        name: 'around the clock, active',
        status: 201,
        body: {
          json: {
            name: '7×24 服务 {{run}}',
            active: true,
            targets: {
              low: { first_response_minutes: 480, resolution_minutes: 2880 },
              normal: { first_response_minutes: 120, resolution_minutes: 1440 },
              high: { first_response_minutes: 30, resolution_minutes: 480 },
              urgent: { first_response_minutes: 15, resolution_minutes: 240 },
            },
          },
        },
        test: `${storeId('sla_policy_id')}${storeEtag('sla_policy_etag')}
pm.test("the active policy, around the clock", function () {
    pm.expect(body.active).to.eql(true);
    pm.expect(body.business_hours).to.eql(null);
    pm.expect(body.targets.high).to.eql({ first_response_minutes: 30, resolution_minutes: 480 });
});`,
      },
      {
        op: 'create_sla_policy',
        name: 'office hours ending before they start',
        status: 422,
        code: 'validation_failed',
        body: {
          json: {
            name: '工作日服务 {{run}}',
            business_hours: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], start: '18:00', end: '09:00' },
            targets: {
              low: { first_response_minutes: 480, resolution_minutes: 2880 },
              normal: { first_response_minutes: 120, resolution_minutes: 1440 },
              high: { first_response_minutes: 30, resolution_minutes: 480 },
              urgent: { first_response_minutes: 15, resolution_minutes: 240 },
            },
          },
        },
        test: `
pm.test("the end is named", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["business_hours.end not_after_start"]);
});`,
      },
      {
        op: 'list_sla_policies',
        status: 200,
        test: `
pm.test("the policy is listed", function () {
    pm.expect(body.data.map(function (p) { return p.id; })).to.include(${v('sla_policy_id')});
});`,
      },
      {
        op: 'get_sla_policy',
        status: 200,
        params: { id: '{{sla_policy_id}}' },
      },
      {
        op: 'create_customer',
        name: 'who complains',
        status: 201,
        body: { json: { name: '投诉客户 {{run}}' } },
        test: `${storeId('ticket_customer_id')}`,
      },
      {
        op: 'create_ticket',
        name: 'a complaint about a late delivery',
        status: 201,
        body: {
          json: {
            subject: '快递延误三天',
            description: '订单付款一周了，物流信息三天没有更新。',
            type: 'complaint',
            priority: 'high',
            channel: 'wechat',
            customer_id: '{{ticket_customer_id}}',
            tags: ['物流', 'vip'],
          },
        },
        test: `${storeId('ticket_id')}${storeEtag('ticket_etag')}
pm.test("a new ticket, as sent, for the customer", function () {
    pm.expect(body.status).to.eql("new");
    pm.expect(body.subject).to.eql("快递延误三天");
    pm.expect(body.type).to.eql("complaint");
    pm.expect(body.priority).to.eql("high");
    pm.expect(body.channel).to.eql("wechat");
    pm.expect(body.customer_id).to.eql(${v('ticket_customer_id')});
    pm.expect(body.tags).to.eql(["物流", "vip"]);
    pm.expect(body.assignee_id).to.eql(null);
    pm.expect(body.version).to.eql(1);
});
pm.test("the active policy's clock: first answer due in 30 minutes, resolution in 8 hours", function () {
    var opened = Date.parse(body.created_at);
    pm.expect(body.sla.policy_id).to.eql(${v('sla_policy_id')});
    pm.expect(Date.parse(body.sla.first_response_due_at) - opened).to.eql(30 * 60 * 1000);
    pm.expect(Date.parse(body.sla.resolution_due_at) - opened).to.eql(8 * 60 * 60 * 1000);
    pm.expect(body.sla.paused).to.eql(false);
});
pm.test("nobody has answered, nothing is resolved or rated yet", function () {
    pm.expect(body.first_responded_at).to.eql(null);
    pm.expect(body.resolved_at).to.eql(null);
    pm.expect(body.closed_at).to.eql(null);
    pm.expect(body.satisfaction).to.eql(null);
});`,
      },
      {
        op: 'create_ticket',
        name: 'with an empty subject',
        status: 422,
        code: 'validation_failed',
        body: { json: { subject: '', type: 'complaint', channel: 'wechat', customer_id: '{{ticket_customer_id}}' } },
        test: `
pm.test("the subject is named", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["subject blank"]);
});`,
      },
      {
        op: 'update_ticket',
        name: 'resolved straight from new',
        status: 409,
        code: 'invalid_transition',
        params: { id: '{{ticket_id}}' },
        body: { json: { status: 'resolved' } },
        test: `
pm.test("the status is named", function () {
    pm.expect(body.errors.map(function (e) { return e.field; })).to.eql(["status"]);
});`,
      },
      {
        op: 'update_ticket',
        name: 'opened, with If-Match',
        status: 200,
        params: { id: '{{ticket_id}}' },
        headers: { 'If-Match': '{{ticket_etag}}' },
        body: { json: { status: 'open' } },
        test: `
pm.test("open, and the version grows to 2", function () {
    pm.expect(body.status).to.eql("open");
    pm.expect(body.version).to.eql(2);
    pm.expect(pm.response.headers.get("ETag")).to.eql('"2"');
});
pm.test("fields not sent stay as they were", function () {
    pm.expect(body.priority).to.eql("high");
    pm.expect(body.tags).to.eql(["物流", "vip"]);
});`,
      },
      {
        op: 'create_ticket_comment',
        name: 'an internal note',
        status: 201,
        params: { id: '{{ticket_id}}' },
        body: { json: { body: '已联系快递公司：包裹滞留在转运中心，明天发出。', public: false } },
        test: `${storeId('ticket_internal_comment_id')}
pm.test("internal, on the ticket, by the signed-in user", function () {
    pm.expect(body.public).to.eql(false);
    pm.expect(body.ticket_id).to.eql(${v('ticket_id')});
    pm.expect(body.body).to.eql("已联系快递公司：包裹滞留在转运中心，明天发出。");
    pm.expect(body.author.type).to.eql("user");
    pm.expect(body.author.id).to.be.a("string");
});`,
      },
      {
        op: 'create_ticket_comment',
        name: 'a public reply',
        status: 201,
        params: { id: '{{ticket_id}}' },
        body: { json: { body: '非常抱歉让您久等，包裹明天发出，我们会跟进到签收。', public: true } },
        test: `${storeId('ticket_public_comment_id')}
pm.test("public, on the ticket, by the signed-in user", function () {
    pm.expect(body.public).to.eql(true);
    pm.expect(body.ticket_id).to.eql(${v('ticket_id')});
    pm.expect(body.author.type).to.eql("user");
});`,
      },
      {
        op: 'get_ticket',
        name: 'answered',
        status: 200,
        params: { id: '{{ticket_id}}' },
        test: `${storeEtag('ticket_etag')}
pm.test("the public reply is the first response", function () {
    pm.expect(body.id).to.eql(${v('ticket_id')});
    pm.expect(body.status).to.eql("open");
    pm.expect(body.first_responded_at).to.be.a("string");
    pm.expect(body.resolved_at).to.eql(null);
});`,
      },
      {
        op: 'list_ticket_comments',
        name: 'what the customer sees',
        status: 200,
        params: { id: '{{ticket_id}}' },
        query: { visibility: 'public' },
        test: `
pm.test("only the public reply, not the internal note", function () {
    pm.expect(body.data.map(function (c) { return c.id; })).to.eql([${v('ticket_public_comment_id')}]);
    pm.expect(body.data[0].public).to.eql(true);
    pm.expect(body.data[0].body).to.eql("非常抱歉让您久等，包裹明天发出，我们会跟进到签收。");
});`,
      },
      {
        op: 'create_ticket_satisfaction',
        name: 'before resolution',
        status: 409,
        code: 'not_resolved',
        params: { id: '{{ticket_id}}' },
        body: { json: { rating: 5 } },
      },
      {
        op: 'update_ticket',
        name: 'resolved, with If-Match',
        status: 200,
        params: { id: '{{ticket_id}}' },
        headers: { 'If-Match': '{{ticket_etag}}' },
        body: { json: { status: 'resolved' } },
        test: `
pm.test("resolved, and when", function () {
    pm.expect(body.status).to.eql("resolved");
    pm.expect(body.resolved_at).to.be.a("string");
    pm.expect(body.closed_at).to.eql(null);
    pm.expect(body.first_responded_at).to.be.a("string");
});`,
      },
      {
        op: 'create_ticket_satisfaction',
        name: 'five stars',
        status: 200,
        params: { id: '{{ticket_id}}' },
        body: { json: { rating: 5, comment: '处理很快，客服态度很好。' } },
        test: `
pm.test("the rating is on the ticket", function () {
    pm.expect(body.id).to.eql(${v('ticket_id')});
    pm.expect(body.status).to.eql("resolved");
    pm.expect(body.satisfaction.rating).to.eql(5);
    pm.expect(body.satisfaction.comment).to.eql("处理很快，客服态度很好。");
    pm.expect(body.satisfaction.rated_at).to.be.a("string");
});`,
      },
      {
        op: 'create_ticket_satisfaction',
        name: 'a second time',
        status: 409,
        code: 'already_rated',
        params: { id: '{{ticket_id}}' },
        body: { json: { rating: 1 } },
      },
      {
        op: 'list_tickets',
        name: 'the resolved VIP tickets',
        status: 200,
        query: { status: 'resolved', tag: 'vip' },
        test: `
pm.test("the ticket is among them", function () {
    pm.expect(body.data.map(function (t) { return t.id; })).to.include(${v('ticket_id')});
});
pm.test("every row matches the filters", function () {
    body.data.forEach(function (t) {
        pm.expect(t.status).to.eql("resolved");
        pm.expect(t.tags).to.include("vip");
    });
});`,
      },
      {
        op: 'list_customer_tickets',
        status: 200,
        params: { id: '{{ticket_customer_id}}' },
        test: `
pm.test("the customer has exactly the one ticket", function () {
    pm.expect(body.data.map(function (t) { return t.id; })).to.eql([${v('ticket_id')}]);
});`,
      },
      {
        op: 'get_ticket_filter_fields',
        status: 200,
        test: `
pm.test("the ticket's own fields, its SLA clock and its rating are filterable", function () {
    pm.expect(body.data.map(function (f) { return f.name; }))
        .to.include.members(["type", "status", "sla.resolution_due_at", "satisfaction.rating"]);
});
pm.test("the rating is a number, compared with gte", function () {
    var rating = body.data.filter(function (f) { return f.name === "satisfaction.rating"; })[0];
    pm.expect(rating.type).to.eql("number");
    pm.expect(rating.operators).to.include("gte");
});`,
      },
      {
        op: 'search_tickets',
        name: 'the customer\'s complaints rated four stars or more',
        status: 200,
        body: {
          json: {
            filter: { and: [
              { field: 'customer_id', op: 'eq', value: '{{ticket_customer_id}}' },
              { field: 'type', op: 'eq', value: 'complaint' },
              { field: 'satisfaction.rating', op: 'gte', value: 4 },
            ] },
            sort: ['-created_at'],
            limit: 50,
            include_total: true,
          },
        },
        test: `
pm.test("the complaint rated five stars is found", function () {
    pm.expect(body.data.map(function (t) { return t.id; })).to.include(${v('ticket_id')});
});
pm.test("every row matches the filter", function () {
    body.data.forEach(function (t) {
        pm.expect(t.type).to.eql("complaint");
        pm.expect(t.customer_id).to.eql(${v('ticket_customer_id')});
        pm.expect(t.satisfaction.rating).to.be.at.least(4);
    });
});
pm.test("the customer's one ticket, counted", function () {
    pm.expect(body.total).to.eql(1);
    pm.expect(body.has_more).to.eql(false);
});`,
      },
      {
        op: 'search_tickets',
        name: 'by a rating without its dotted name',
        status: 400,
        code: 'bad_request',
        body: {
          json: {
            filter: { and: [
              { field: 'customer_id', op: 'eq', value: '{{ticket_customer_id}}' },
              { field: 'rating', op: 'gte', value: 4 },
            ] },
          },
        },
        test: `
pm.test("the unknown field is named by its path in the filter", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["filter.and[1].field unknown_field"]);
});`,
      },
      {
        op: 'get_ticket',
        name: 'resolved and rated',
        status: 200,
        params: { id: '{{ticket_id}}' },
        test: `
pm.test("resolved, rated once with five stars", function () {
    pm.expect(body.status).to.eql("resolved");
    pm.expect(body.satisfaction.rating).to.eql(5);
    pm.expect(body.satisfaction.comment).to.eql("处理很快，客服态度很好。");
    pm.expect(body.customer_id).to.eql(${v('ticket_customer_id')});
});`,
      },
      {
        op: 'delete_ticket',
        status: 204,
        params: { id: '{{ticket_id}}' },
      },
      {
        op: 'get_ticket',
        name: 'after deletion',
        status: 404,
        code: 'not_found',
        params: { id: '{{ticket_id}}' },
      },
      {
        op: 'delete_customer',
        name: 'the customer who complained',
        status: 204,
        params: { id: '{{ticket_customer_id}}' },
      },
      {
        op: 'update_sla_policy',
        name: 'no longer active',
        status: 200,
        params: { id: '{{sla_policy_id}}' },
        headers: { 'If-Match': '{{sla_policy_etag}}' },
        body: { json: { active: false } },
        test: `
pm.test("inactive: tickets opened from now on take no clock from it", function () {
    pm.expect(body.active).to.eql(false);
    pm.expect(body.version).to.eql(2);
});`,
      },
      {
        op: 'delete_sla_policy',
        status: 204,
        params: { id: '{{sla_policy_id}}' },
      },
      {
        op: 'update_return_visit_settings',
        name: 'the rules read at the start, with If-Match',
        status: 200,
        headers: { 'If-Match': '{{return_visit_etag}}' },
        // The rules the first read kept, as they were: none on a fresh server, so {"rules": []}.
        body: { raw: '{\n  "rules": {{return_visit_rules}}\n}' },
        test: `
pm.test("the rules are back as they were read (none on a fresh server)", function () {
    pm.expect(body.rules).to.eql(JSON.parse(${v('return_visit_rules')}));
});
pm.test("two changes since the first read: the refused one made none", function () {
    pm.expect(body.version).to.eql(Number(${v('return_visit_version')}) + 2);
});`,
      },
    ],
  },
  {
    name: 'Chatting with customers',
    description:
      'A customer asks about a coat on the shop\'s web chat and an agent answers, from the first message to a ticket: the shop\'s chat widget relays the customer\'s words with an API key of its own, the agent (the signed-in administrator) opens the conversation and answers as an agent, a conversation without a channel and an agent writing as the customer are refused, the first answer is stamped, the agent takes the conversation and closes it (each told in a system message; a closed conversation takes no more messages), and the conversation is turned into a ticket with its transcript, once only. The conversation is found in the queue of unassigned web chats, among the customer\'s conversations and on their timeline. Removes what it made at the end (the ticket, the conversation, the customer) and revokes the widget\'s key.\n\n' +
      'The live stream, `GET /api/v1/conversations/stream`, is not in the collection: a Server-Sent Events stream never ends, so newman would wait for it forever. Follow it with curl while this folder runs, as the README shows: `curl -N -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/api/v1/conversations/stream` (add `-H "Last-Event-ID: <seq>"` to resume after a message).',
    steps: [
      {
        op: 'create_customer',
        name: 'who writes on the web chat',
        status: 201,
        body: { json: { name: '网聊客户 {{run}}' } },
        test: `${storeId('chat_customer_id')}
pm.test("the customer is created", function () {
    pm.expect(body.name).to.eql(pm.variables.replaceIn("网聊客户 {{run}}"));
});`,
      },
      {
        op: 'create_api_key',
        name: 'the web chat widget\'s, to relay the customer',
        status: 201,
        pre: `// An hour from now: the widget's key dies by itself should the run stop before it is revoked.
${set('chat_widget_key_expires_at', 'new Date(Date.now() + 3600 * 1000).toISOString().replace(/\\.\\d+Z$/, "Z")')}`,
        body: { json: { name: 'Web chat widget {{run}}', role: 'support', expires_at: '{{chat_widget_key_expires_at}}' } },
        test: `${storeId('chat_widget_key_id')}
${set('chat_widget_key', 'body && body.secret')}
pm.test("a support key: it works the chats assigned to no one", function () {
    pm.expect(body.role).to.eql("support");
    pm.expect(body.secret).to.be.a("string");
    pm.expect(body.secret.indexOf(body.prefix)).to.eql(0);
});`,
      },
      {
        op: 'create_conversation',
        name: 'on the web chat, waiting for an agent',
        status: 201,
        body: { json: { customer_id: '{{chat_customer_id}}', channel: 'web', subject: '羊毛大衣尺码咨询' } },
        test: `${storeId('conversation_id')}
${set('conversation_created_at', 'body && body.created_at')}
pm.test("an open web chat for the customer, assigned to no one", function () {
    pm.expect(body.customer_id).to.eql(${v('chat_customer_id')});
    pm.expect(body.channel).to.eql("web");
    pm.expect(body.status).to.eql("open");
    pm.expect(body.subject).to.eql("羊毛大衣尺码咨询");
    pm.expect(body.assignee_id).to.eql(null);
    pm.expect(body.version).to.eql(1);
});
pm.test("nothing said, answered, closed or ticketed yet", function () {
    pm.expect(body.first_responded_at).to.eql(null);
    pm.expect(body.closed_at).to.eql(null);
    pm.expect(body.ticket_id).to.eql(null);
    pm.expect(Date.parse(body.last_message_at), "the opening time until a message comes").to.eql(Date.parse(body.created_at));
});`,
      },
      {
        op: 'create_conversation',
        name: 'without a channel',
        status: 422,
        code: 'validation_failed',
        body: { json: { customer_id: '{{chat_customer_id}}', subject: '羊毛大衣尺码咨询' } },
        test: `
pm.test("the channel is named", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["channel required"]);
});`,
      },
      {
        op: 'create_conversation_message',
        name: 'the customer\'s question, relayed by the widget',
        status: 201,
        auth: '{{chat_widget_key}}',
        params: { id: '{{conversation_id}}' },
        body: { json: { body: CHAT_QUESTION } },
        test: `${storeId('chat_question_id')}
${set('chat_question_seq', 'body && body.seq')}
pm.test("from the customer, through the widget's key", function () {
    pm.expect(body.conversation_id).to.eql(${v('conversation_id')});
    pm.expect(body.sender.type).to.eql("customer");
    pm.expect(body.sender.id, "the API key that relayed it").to.eql(${v('chat_widget_key_id')});
    pm.expect(body.body).to.eql(${J(CHAT_QUESTION)});
    pm.expect(body.seq).to.be.a("number").and.above(0);
});`,
      },
      {
        op: 'get_conversation',
        name: 'asked, not yet answered',
        status: 200,
        params: { id: '{{conversation_id}}' },
        test: `
pm.test("the customer's message moves it on but is no answer", function () {
    pm.expect(body.first_responded_at).to.eql(null);
    pm.expect(Date.parse(body.last_message_at)).to.be.at.least(Date.parse(body.created_at));
    pm.expect(body.version).to.eql(2);
    pm.expect(body.status).to.eql("open");
});`,
      },
      {
        op: 'create_conversation_message',
        name: 'the agent\'s reply',
        status: 201,
        params: { id: '{{conversation_id}}' },
        body: { json: { body: CHAT_REPLY } },
        test: `${storeId('chat_reply_id')}
${set('chat_agent_id', 'body && body.sender.id')}
${set('chat_reply_at', 'body && body.created_at')}
pm.test("from the signed-in staff member, as an agent", function () {
    pm.expect(body.conversation_id).to.eql(${v('conversation_id')});
    pm.expect(body.sender.type).to.eql("agent");
    pm.expect(body.sender.id, "the agent's user id").to.be.a("string");
    pm.expect(body.body).to.eql(${J(CHAT_REPLY)});
});
pm.test("placed after the customer's question", function () {
    pm.expect(body.seq).to.be.above(Number(${v('chat_question_seq')}));
});`,
      },
      {
        op: 'create_conversation_message',
        name: 'as the customer, by a signed-in agent',
        status: 422,
        code: 'validation_failed',
        params: { id: '{{conversation_id}}' },
        body: { json: { body: '好的，我下单了。', sender: 'customer' } },
        test: `
pm.test("staff cannot write as the customer: the sender is named", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["sender not_allowed"]);
});`,
      },
      {
        op: 'get_conversation',
        name: 'answered',
        status: 200,
        params: { id: '{{conversation_id}}' },
        test: `${storeEtag('conversation_etag')}
pm.test("the agent's reply is the first response and the latest message", function () {
    pm.expect(body.first_responded_at).to.be.a("string");
    pm.expect(Date.parse(body.first_responded_at)).to.eql(Date.parse(${v('chat_reply_at')}));
    pm.expect(Date.parse(body.last_message_at)).to.eql(Date.parse(${v('chat_reply_at')}));
});
pm.test("two messages, the refused one not among them: version 3", function () {
    pm.expect(body.version).to.eql(3);
    pm.expect(body.status).to.eql("open");
    pm.expect(body.assignee_id).to.eql(null);
});`,
      },
      {
        op: 'list_conversations',
        name: 'open web chats no one has taken',
        status: 200,
        query: { status: 'open', channel: 'web', unassigned: 'true' },
        test: `
pm.test("the conversation is in the queue", function () {
    pm.expect(body.data.map(function (c) { return c.id; })).to.include(${v('conversation_id')});
});
pm.test("every row matches the filters, the latest message first", function () {
    body.data.forEach(function (c, i) {
        pm.expect(c.status).to.eql("open");
        pm.expect(c.channel).to.eql("web");
        pm.expect(c.assignee_id).to.eql(null);
        if (i > 0) pm.expect(Date.parse(c.last_message_at)).to.be.at.most(Date.parse(body.data[i - 1].last_message_at));
    });
});`,
      },
      {
        op: 'update_conversation',
        name: 'taken by the agent, with If-Match',
        status: 200,
        params: { id: '{{conversation_id}}' },
        headers: { 'If-Match': '{{conversation_etag}}' },
        body: { json: { assignee_id: '{{chat_agent_id}}' } },
        test: `${storeEtag('conversation_etag')}
pm.test("assigned to the agent who answered, still open", function () {
    pm.expect(body.assignee_id).to.eql(${v('chat_agent_id')});
    pm.expect(body.status).to.eql("open");
    pm.expect(body.closed_at).to.eql(null);
});
pm.test("the change and its system message: version 5", function () {
    pm.expect(body.version).to.eql(5);
});`,
      },
      {
        op: 'update_conversation',
        name: 'closed, with If-Match',
        status: 200,
        params: { id: '{{conversation_id}}' },
        headers: { 'If-Match': '{{conversation_etag}}' },
        body: { json: { status: 'closed' } },
        test: `
pm.test("closed, and when", function () {
    pm.expect(body.status).to.eql("closed");
    pm.expect(body.closed_at).to.be.a("string");
    pm.expect(body.version).to.eql(7);
});
pm.test("fields not sent stay as they were", function () {
    pm.expect(body.assignee_id).to.eql(${v('chat_agent_id')});
    pm.expect(body.subject).to.eql("羊毛大衣尺码咨询");
    pm.expect(Date.parse(body.first_responded_at)).to.eql(Date.parse(${v('chat_reply_at')}));
});`,
      },
      {
        op: 'create_conversation_message',
        name: 'after it closed',
        status: 409,
        code: 'conversation_closed',
        params: { id: '{{conversation_id}}' },
        body: { json: { body: '还有别的问题吗？' } },
        test: `
pm.test("the status is named", function () {
    pm.expect(body.errors.map(function (e) { return e.field; })).to.eql(["status"]);
});`,
      },
      {
        op: 'create_conversation_ticket',
        name: 'with its transcript',
        status: 201,
        params: { id: '{{conversation_id}}' },
        body: { json: { priority: 'high' } },
        test: `${storeId('chat_ticket_id')}
pm.test("a new ticket for the customer, on the chat channel, assigned to the agent", function () {
    pm.expect(body.status).to.eql("new");
    pm.expect(body.channel, "a web chat becomes a chat ticket").to.eql("chat");
    pm.expect(body.customer_id).to.eql(${v('chat_customer_id')});
    pm.expect(body.assignee_id).to.eql(${v('chat_agent_id')});
    pm.expect(body.priority).to.eql("high");
});
pm.test("what was not sent comes from the conversation and the defaults", function () {
    pm.expect(body.subject, "the conversation's subject").to.eql("羊毛大衣尺码咨询");
    pm.expect(body.type).to.eql("inquiry");
});
pm.test("the description is the transcript, oldest first, with the agent's reply", function () {
    pm.expect(body.description).to.include("Agent: " + ${J(CHAT_REPLY)});
    var lines = body.description.split("\\n");
    lines.forEach(function (line) {
        pm.expect(line).to.match(/^\\[\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} UTC\\] (Customer|Agent|System): /);
    });
    pm.expect(lines.map(function (line) { return line.replace(/^\\[[^\\]]*\\] /, ""); })).to.eql([
        "Customer: " + ${J(CHAT_QUESTION)},
        "Agent: " + ${J(CHAT_REPLY)},
        "System: The conversation was assigned.",
        "System: The conversation was closed."
    ]);
});`,
      },
      {
        op: 'create_conversation_ticket',
        name: 'a second time',
        status: 409,
        code: 'already_ticketed',
        params: { id: '{{conversation_id}}' },
        body: { json: {} },
      },
      {
        op: 'get_conversation',
        name: 'closed and ticketed',
        status: 200,
        params: { id: '{{conversation_id}}' },
        test: `${storeEtag('conversation_etag')}
pm.test("the conversation keeps the ticket's id, and stays closed", function () {
    pm.expect(body.ticket_id).to.eql(${v('chat_ticket_id')});
    pm.expect(body.status).to.eql("closed");
    pm.expect(body.closed_at).to.be.a("string");
    pm.expect(body.assignee_id).to.eql(${v('chat_agent_id')});
});`,
      },
      {
        op: 'list_conversation_messages',
        name: 'the whole chat',
        status: 200,
        params: { id: '{{conversation_id}}' },
        query: { include_total: 'true' },
        test: `
pm.test("oldest first, in growing seq", function () {
    body.data.forEach(function (m, i) {
        pm.expect(m.conversation_id).to.eql(${v('conversation_id')});
        if (i > 0) pm.expect(m.seq).to.be.above(body.data[i - 1].seq);
    });
});
pm.test("the question, the reply and the system's notices; nothing that was refused", function () {
    pm.expect(body.data.map(function (m) { return m.sender.type + ": " + m.body; })).to.eql([
        "customer: " + ${J(CHAT_QUESTION)},
        "agent: " + ${J(CHAT_REPLY)},
        "system: The conversation was assigned.",
        "system: The conversation was closed.",
        "system: The conversation was turned into a ticket."
    ]);
    pm.expect(body.data[0].id).to.eql(${v('chat_question_id')});
    pm.expect(body.data[1].id).to.eql(${v('chat_reply_id')});
    pm.expect(body.total).to.eql(5);
    pm.expect(body.has_more).to.eql(false);
});
pm.test("Rapport's own notices have no sender id", function () {
    body.data.slice(2).forEach(function (m) { pm.expect(m.sender.id === null || m.sender.id === undefined).to.eql(true); });
});`,
      },
      {
        op: 'list_customer_conversations',
        status: 200,
        params: { id: '{{chat_customer_id}}' },
        test: `
pm.test("the customer has exactly the one conversation, ticketed", function () {
    pm.expect(body.data.map(function (c) { return c.id; })).to.eql([${v('conversation_id')}]);
    pm.expect(body.data[0].ticket_id).to.eql(${v('chat_ticket_id')});
    pm.expect(body.has_more).to.eql(false);
});`,
      },
      {
        op: 'get_customer_timeline',
        name: 'the customer\'s conversations',
        status: 200,
        params: { id: '{{chat_customer_id}}' },
        query: { kinds: 'conversation' },
        test: `
pm.test("only the conversation, at the time it opened", function () {
    pm.expect(body.data.map(function (e) { return e.kind; })).to.eql(["conversation"]);
    pm.expect(body.data[0].conversation.id).to.eql(${v('conversation_id')});
    pm.expect(body.data[0].conversation.status).to.eql("closed");
    pm.expect(Date.parse(body.data[0].at)).to.eql(Date.parse(${v('conversation_created_at')}));
});`,
      },
      {
        op: 'delete_ticket',
        name: 'made from the chat',
        status: 204,
        params: { id: '{{chat_ticket_id}}' },
      },
      {
        op: 'delete_conversation',
        name: 'with If-Match',
        status: 204,
        params: { id: '{{conversation_id}}' },
        headers: { 'If-Match': '{{conversation_etag}}' },
      },
      {
        op: 'get_conversation',
        name: 'after deletion',
        status: 404,
        code: 'not_found',
        params: { id: '{{conversation_id}}' },
      },
      {
        op: 'delete_customer',
        name: 'who wrote on the web chat',
        status: 204,
        params: { id: '{{chat_customer_id}}' },
      },
      {
        op: 'revoke_api_key',
        name: 'the web chat widget\'s',
        status: 204,
        params: { id: '{{chat_widget_key_id}}' },
      },
    ],
  },
  {
    name: 'Common errors',
    description:
      'What a client gets when it does something wrong: each answer is `application/problem+json` with a ' +
      'stable `code`. Creates one customer to provoke conflicts on, and deletes it at the end.',
    steps: [
      {
        op: 'create_customer',
        name: 'an individual to provoke errors on',
        status: 201,
        body: {
          example: true,
          set: { email: 'wang.fang.{{run}}@example.cn', phone: '+86 138 {{run}}', external_id: 'TB-{{run}}' },
        },
        test: `${storeId('fixture_id')}\n${storeEtag('fixture_etag')}`,
      },
      {
        op: 'list_customers',
        name: 'without a token',
        status: 401,
        code: 'unauthenticated',
        auth: 'none',
        test: `
pm.test("WWW-Authenticate asks for a bearer token", function () {
    pm.expect(pm.response.headers.get("WWW-Authenticate")).to.match(/^Bearer/);
});`,
      },
      {
        op: 'list_customers',
        name: 'with a token that is not one',
        status: 401,
        code: 'unauthenticated',
        auth: 'not-a-token',
      },
      {
        op: 'create_customer',
        name: 'malformed JSON',
        status: 400,
        code: 'bad_request',
        body: { raw: '{"name": "王芳",', contentType: 'application/json' },
      },
      {
        op: 'create_customer',
        name: 'not JSON',
        status: 415,
        code: 'unsupported_media_type',
        body: { raw: 'name=王芳', contentType: 'text/plain' },
      },
      {
        op: 'create_customer',
        name: 'every broken rule at once',
        status: 422,
        code: 'validation_failed',
        body: {
          json: {
            name: '',
            email: 'not-an-email',
            phone: '12',
            birthday: '2999-01-01',
            tags: ['vip', ''],
            address: { city: 'x'.repeat(201) },
            marketing_consent: { opted_in: true, channel: 'y'.repeat(51) },
            custom_fields: { 'Not A Key': 1 },
          },
        },
        test: `
pm.test("errors lists every broken field with its rule", function () {
    const found = body.errors.map(function (e) { return e.field + " " + e.code; }).sort();
    pm.expect(found).to.eql([
        "address.city too_long",
        "birthday in_future",
        "custom_fields.Not A Key invalid_key",
        "email invalid_email",
        "marketing_consent.channel too_long",
        "name blank",
        "phone invalid_phone",
        "tags[1] blank"
    ]);
    pm.expect(body.detail).to.eql("8 fields are invalid");
});`,
      },
      {
        op: 'create_customer',
        name: 'the same mistakes in Chinese',
        status: 422,
        code: 'validation_failed',
        headers: { 'Accept-Language': 'zh-CN' },
        body: { json: { name: '', email: 'not-an-email' } },
        test: `
pm.test("texts are Chinese, codes are not", function () {
    pm.expect(body.title).to.match(/[\\u4e00-\\u9fff]/);
    pm.expect(body.errors.map(function (e) { return e.code; }).sort()).to.eql(["blank", "invalid_email"]);
    body.errors.forEach(function (e) { pm.expect(e.message).to.match(/[\\u4e00-\\u9fff]/); });
});`,
      },
      {
        op: 'create_customer',
        name: 'a read-only field',
        status: 422,
        code: 'validation_failed',
        body: { example: true, set: { id: '0193a5c4-7f0e-7c1a-9d2e-5b8f7e6a1c20', email: 'ro.{{run}}@example.cn' } },
        allowUnknownFields: ['id'],
        test: `
pm.test("the field is named", function () {
    pm.expect(body.errors.map(function (e) { return e.field + " " + e.code; })).to.eql(["id unknown_field"]);
});`,
      },
      {
        op: 'list_customers',
        name: 'an unknown query parameter',
        status: 400,
        code: 'bad_request',
        extraQuery: { colour: 'red' },
        test: `
pm.test("the parameter is named", function () {
    pm.expect(body.errors.map(function (e) { return e.field; })).to.eql(["colour"]);
});`,
      },
      {
        op: 'update_customer',
        name: 'by someone else, without If-Match',
        status: 200,
        params: { id: '{{fixture_id}}' },
        body: { json: { notes: 'Changed by a colleague.' } },
        test: `
pm.test("last writer wins: version 2", function () {
    pm.expect(body.version).to.eql(2);
});`,
      },
      {
        op: 'update_customer',
        name: 'with a stale If-Match',
        status: 412,
        code: 'precondition_failed',
        params: { id: '{{fixture_id}}' },
        headers: { 'If-Match': '{{fixture_etag}}' },
        body: { json: { notes: 'Too late.' } },
        test: `
pm.test("the answer tells the current version", function () {
    pm.expect(body.current_version).to.eql(2);
});`,
      },
      {
        op: 'get_customer',
        name: 'unchanged by the refused write',
        status: 200,
        params: { id: '{{fixture_id}}' },
        test: `
pm.test("notes are the colleague's, version 2", function () {
    pm.expect(body.notes).to.eql("Changed by a colleague.");
    pm.expect(pm.response.headers.get("ETag")).to.eql('"2"');
});
${storeEtag('fixture_etag')}`,
      },
      {
        op: 'create_customer',
        name: 'an email another customer has',
        status: 409,
        code: 'email_taken',
        body: {
          example: true,
          set: { email: 'WANG.FANG.{{run}}@example.cn', phone: '+86 139 {{run}}', external_id: 'TB-{{run}}-2' },
        },
        test: `
pm.test("the field is named", function () {
    pm.expect(body.errors.map(function (e) { return e.field; })).to.eql(["email"]);
});`,
      },
      {
        op: 'create_contact',
        name: 'on an individual',
        status: 409,
        code: 'contacts_require_company',
        params: { id: '{{fixture_id}}' },
        body: { example: true },
      },
      {
        op: 'get_customer',
        name: 'an id that does not exist',
        status: 404,
        code: 'not_found',
        params: { id: '0193a5c4-7f0e-7c1a-9d2e-000000000000' },
      },
      {
        op: 'get_customer',
        name: 'an id that is not a UUID',
        status: 404,
        code: 'not_found',
        params: { id: 'not-a-uuid' },
      },
      {
        route: { method: 'GET', path: '/api/v1/no-such-resource', summary: 'An unknown route' },
        status: 404,
        code: 'not_found',
        note: 'No operation has this path.',
      },
      {
        route: { method: 'PUT', path: '/api/v1/customers/{id}', summary: 'A method the path does not have' },
        status: 405,
        code: 'method_not_allowed',
        params: { id: '{{fixture_id}}' },
        body: { json: { name: '王芳' } },
        note: 'Customers change with PATCH; PUT is not an operation of this path.',
        expectAllow: true,
      },
      {
        op: 'create_customer',
        name: 'with an Idempotency-Key',
        status: 201,
        headers: { 'Idempotency-Key': 'postman-{{run}}' },
        body: {
          example: true,
          set: { email: 'replay.{{run}}@example.cn', phone: '+86 137 {{run}}', external_id: 'TB-{{run}}-R' },
        },
        test: `
pm.test("a first answer is not a replay", function () {
    pm.expect(pm.response.headers.has("Idempotent-Replayed")).to.eql(false);
});
${storeId('replay_id')}
${set('replay_body', 'pm.response.text()')}`,
      },
      {
        op: 'create_customer',
        name: 'the same key and body again',
        status: 201,
        headers: { 'Idempotency-Key': 'postman-{{run}}' },
        body: {
          example: true,
          set: { email: 'replay.{{run}}@example.cn', phone: '+86 137 {{run}}', external_id: 'TB-{{run}}-R' },
        },
        test: `
pm.test("the first answer is replayed", function () {
    pm.expect(pm.response.headers.get("Idempotent-Replayed")).to.eql("true");
    pm.expect(body).to.eql(JSON.parse(${v('replay_body')}));
});`,
      },
      {
        op: 'create_customer',
        name: 'the same key with another body',
        status: 422,
        code: 'idempotency_key_reused',
        headers: { 'Idempotency-Key': 'postman-{{run}}' },
        body: {
          example: true,
          set: { name: '王芳 (retry)', email: 'replay.{{run}}@example.cn', phone: '+86 137 {{run}}', external_id: 'TB-{{run}}-R' },
        },
      },
      {
        op: 'list_customers',
        name: 'the retries created one customer',
        status: 200,
        query: { q: 'replay.{{run}}', include_total: 'true' },
        test: `
pm.test("exactly one customer has the email", function () {
    pm.expect(body.total).to.eql(1);
    pm.expect(body.data[0].id).to.eql(${v('replay_id')});
});`,
      },
      {
        op: 'delete_customer',
        name: 'clean up the replayed one',
        status: 204,
        params: { id: '{{replay_id}}' },
      },
      {
        op: 'delete_customer',
        name: 'clean up the one errors were provoked on',
        status: 204,
        params: { id: '{{fixture_id}}' },
        headers: { 'If-Match': '{{fixture_etag}}' },
      },
    ],
  },
  {
    name: 'Sign-in and tokens',
    description:
      'A second session of the administrator: sign in, ask who is signed in, rotate the refresh token, sign ' +
      'out, and see that neither the signed-out token nor the rotated one works any more.',
    steps: [
      {
        op: 'login',
        name: 'with a wrong password',
        status: 401,
        code: 'unauthenticated',
        body: { example: true, set: { email: 'nobody.{{run}}@example.cn', password: 'not the password' } },
      },
      {
        op: 'login',
        status: 200,
        body: { example: true, set: { email: '{{admin_email}}', password: '{{admin_password}}' } },
        test: `
pm.test("a bearer token pair", function () {
    pm.expect(body.token_type).to.eql("Bearer");
    pm.expect(body.expires_in).to.be.above(0);
});
${set('session_access_token', 'body && body.access_token')}
${set('session_refresh_token', 'body && body.refresh_token')}`,
      },
      {
        op: 'get_me',
        name: 'with the new access token',
        status: 200,
        auth: '{{session_access_token}}',
        test: `
pm.test("the administrator is signed in", function () {
    pm.expect(body.email).to.eql(pm.variables.get("admin_email"));
    pm.expect(body.role).to.eql("admin");
    pm.expect(body.status).to.eql("active");
});`,
      },
      {
        op: 'refresh_token',
        status: 200,
        body: { example: true, set: { refresh_token: '{{session_refresh_token}}' } },
        test: `
pm.test("a new pair, with a new refresh token", function () {
    pm.expect(body.refresh_token).to.not.eql(${v('session_refresh_token')});
});
${set('rotated_refresh_token', v('session_refresh_token'))}
${set('session_refresh_token', 'body && body.refresh_token')}`,
      },
      {
        op: 'logout',
        status: 204,
        body: { example: true, set: { refresh_token: '{{session_refresh_token}}' } },
      },
      {
        op: 'refresh_token',
        name: 'with the signed-out token',
        status: 401,
        code: 'unauthenticated',
        body: { example: true, set: { refresh_token: '{{session_refresh_token}}' } },
      },
      {
        op: 'refresh_token',
        name: 'with the token rotated earlier',
        status: 401,
        code: 'unauthenticated',
        body: { example: true, set: { refresh_token: '{{rotated_refresh_token}}' } },
      },
    ],
  },
  {
    name: 'Users and roles',
    description:
      'Roles and staff accounts: page through the roles, create a custom role and a user holding it, sign ' +
      'in as that user and meet the limits of the role, then move the user to a built-in role, delete the ' +
      'custom role and disable the user (accounts are never deleted).',
    steps: [
      {
        op: 'list_roles',
        name: 'first page of two',
        status: 200,
        query: { limit: '2', include_total: 'true' },
        test: `
pm.test("two roles, more to come", function () {
    pm.expect(body.data.length).to.eql(2);
    pm.expect(body.has_more).to.eql(true);
    pm.expect(body.next_cursor).to.be.a("string");
    pm.expect(body.total).to.be.at.least(6);
});
${set('roles_cursor', 'body && body.next_cursor')}
${set('roles_page_one', 'JSON.stringify(body.data.map(function (r) { return r.id; }))')}
${set('built_in_role_id', 'body.data.filter(function (r) { return r.built_in; })[0].id')}`,
      },
      {
        op: 'list_roles',
        name: 'next page, with the cursor',
        status: 200,
        query: { limit: '2', cursor: '{{roles_cursor}}' },
        test: `
pm.test("the next roles, none repeated", function () {
    const before = JSON.parse(${v('roles_page_one')});
    pm.expect(body.data.length).to.be.above(0);
    body.data.forEach(function (r) { pm.expect(before).to.not.include(r.id); });
});`,
      },
      {
        op: 'update_role',
        name: 'a built-in one',
        status: 409,
        code: 'built_in_role',
        params: { id: '{{built_in_role_id}}' },
        body: { example: true },
      },
      {
        op: 'create_role',
        status: 201,
        body: { example: true, set: { name: 'regional_manager_{{run}}' } },
        test: `
${storeId('role_id')}
${set('role_name', 'body && body.name')}
pm.test("a custom role with the grants sent", function () {
    pm.expect(body.built_in).to.eql(false);
    pm.expect(body.permissions).to.deep.include({ permission: "customers:write", scope: "own" });
});`,
      },
      {
        op: 'get_role',
        status: 200,
        params: { id: '{{role_id}}' },
        test: `
${storeEtag('role_etag')}
pm.test("it is the new role", function () {
    pm.expect(body.name).to.eql(${v('role_name')});
});`,
      },
      {
        op: 'update_role',
        name: 'with If-Match',
        status: 200,
        params: { id: '{{role_id}}' },
        headers: { 'If-Match': '{{role_etag}}' },
        body: { example: true },
        test: `
pm.test("the grants are replaced as a whole", function () {
    pm.expect(body.permissions).to.eql([{ permission: "customers:read", scope: "all" }]);
    pm.expect(body.version).to.eql(2);
});
${storeEtag('role_etag')}`,
      },
      {
        op: 'create_user',
        name: 'holding the custom role',
        status: 201,
        body: { example: true, set: { email: 'zhang.wei.{{run}}@example.cn', role: '{{role_name}}' } },
        test: `
${storeId('user_id')}
pm.test("an active user with the custom role", function () {
    pm.expect(body.role).to.eql(${v('role_name')});
    pm.expect(body.status).to.eql("active");
    pm.expect(body).to.not.have.property("password");
});`,
      },
      {
        op: 'delete_role',
        name: 'while a user holds it',
        status: 409,
        code: 'role_in_use',
        params: { id: '{{role_id}}' },
      },
      {
        op: 'list_users',
        status: 200,
        query: { limit: '200', include_total: 'true' },
        test: `
pm.test("every account is counted and the first administrator is listed", function () {
    pm.expect(body.total).to.be.at.least(2);
    const emails = body.data.map(function (u) { return u.email; });
    pm.expect(emails).to.include(pm.variables.get("admin_email"));
});`,
      },
      {
        op: 'reset_user_password',
        status: 204,
        params: { id: '{{user_id}}' },
        body: { example: true },
      },
      {
        op: 'login',
        name: 'as the new user, with the new password',
        status: 200,
        body: { example: true, set: { email: 'zhang.wei.{{run}}@example.cn', password: 'a new long password' } },
        test: set('user_access_token', 'body && body.access_token'),
      },
      {
        op: 'get_me',
        name: 'as the new user',
        status: 200,
        auth: '{{user_access_token}}',
        test: `
pm.test("the user, with the custom role", function () {
    pm.expect(body.id).to.eql(${v('user_id')});
    pm.expect(body.role).to.eql(${v('role_name')});
});`,
      },
      {
        op: 'list_users',
        name: 'as a user whose role lacks users:read',
        status: 403,
        code: 'forbidden',
        auth: '{{user_access_token}}',
      },
      {
        op: 'get_user',
        name: 'read before changing',
        status: 200,
        params: { id: '{{user_id}}' },
        test: `
${storeEtag('user_etag')}
pm.test("it is the new user; the password reset was a change (version 2) and the sign-in is recorded", function () {
    pm.expect(body.email).to.eql(pm.variables.replaceIn("zhang.wei.{{run}}@example.cn"));
    pm.expect(body.version).to.eql(2);
    pm.expect(body.last_login_at).to.be.a("string");
});`,
      },
      {
        op: 'update_user',
        name: 'with If-Match, to a built-in role',
        status: 200,
        params: { id: '{{user_id}}' },
        headers: { 'If-Match': '{{user_etag}}' },
        body: { example: true },
        test: `
pm.test("the user is a manager now", function () {
    pm.expect(body.role).to.eql("manager");
    pm.expect(body.version).to.eql(3);
});
${storeEtag('user_etag')}`,
      },
      {
        op: 'delete_role',
        name: 'now that nobody holds it',
        status: 204,
        params: { id: '{{role_id}}' },
        headers: { 'If-Match': '{{role_etag}}' },
      },
      {
        op: 'get_role',
        name: 'after deletion',
        status: 404,
        code: 'not_found',
        params: { id: '{{role_id}}' },
      },
      {
        op: 'update_user',
        name: 'disable the account',
        status: 200,
        params: { id: '{{user_id}}' },
        headers: { 'If-Match': '{{user_etag}}' },
        body: { json: { status: 'disabled' } },
        test: `
pm.test("the user is disabled", function () {
    pm.expect(body.status).to.eql("disabled");
});`,
      },
      {
        op: 'get_me',
        name: 'as the disabled user',
        status: 401,
        code: 'unauthenticated',
        auth: '{{user_access_token}}',
      },
    ],
  },
  {
    name: 'API keys',
    description:
      'An integration key: create it (its secret is shown once), call the API with it, read it back ' +
      'without the secret, revoke it, and see it refused and gone (the audit trail keeps it).',
    steps: [
      {
        op: 'create_api_key',
        status: 201,
        pre: `// A year from now: the key must expire in the future.
${set('api_key_expires_at', 'new Date(Date.now() + 365 * 24 * 3600 * 1000).toISOString().replace(/\\.\\d+Z$/, "Z")')}`,
        body: { example: true, set: { name: 'Shop sync {{run}}', expires_at: '{{api_key_expires_at}}' } },
        test: `
${storeId('api_key_id')}
${set('api_key_secret', 'body && body.secret')}
pm.test("the secret is shown, and starts with the prefix", function () {
    pm.expect(body.secret).to.be.a("string");
    pm.expect(body.secret.indexOf(body.prefix)).to.eql(0);
    pm.expect(body.role).to.eql("manager");
});`,
      },
      {
        op: 'get_me',
        name: 'with the API key',
        status: 200,
        auth: '{{api_key_secret}}',
        test: `
pm.test("a key acts for the user who created it", function () {
    pm.expect(body.email).to.eql(pm.variables.get("admin_email"));
});`,
      },
      {
        op: 'get_api_key',
        status: 200,
        params: { id: '{{api_key_id}}' },
        test: `
${storeEtag('api_key_etag')}
pm.test("the secret is never shown again", function () {
    pm.expect(body.secret === undefined || body.secret === null).to.eql(true);
});`,
      },
      {
        op: 'list_api_keys',
        status: 200,
        test: `
pm.test("the new key is listed first, without its secret", function () {
    pm.expect(body.data[0].id).to.eql(${v('api_key_id')});
    body.data.forEach(function (k) { pm.expect(k.secret === undefined || k.secret === null).to.eql(true); });
});`,
      },
      {
        op: 'revoke_api_key',
        name: 'with If-Match',
        status: 204,
        params: { id: '{{api_key_id}}' },
        headers: { 'If-Match': '{{api_key_etag}}' },
      },
      {
        op: 'get_me',
        name: 'with the revoked key',
        status: 401,
        code: 'unauthenticated',
        auth: '{{api_key_secret}}',
      },
      {
        op: 'get_api_key',
        name: 'after revocation',
        status: 404,
        code: 'not_found',
        params: { id: '{{api_key_id}}' },
      },
    ],
  },
  {
    name: 'Audit trail and event feed',
    description:
      'Every change is recorded twice: in the audit trail (who changed what) and in the ordered event feed. ' +
      'Creates and deletes a customer, then reads both.',
    steps: [
      {
        op: 'create_customer',
        name: 'something to audit',
        status: 201,
        body: {
          example: true,
          set: { email: 'audit.{{run}}@example.cn', phone: '+86 136 {{run}}', external_id: 'TB-{{run}}-A' },
        },
        test: storeId('audited_id'),
      },
      {
        op: 'delete_customer',
        name: 'something to audit',
        status: 204,
        params: { id: '{{audited_id}}' },
      },
      {
        op: 'list_audit_events',
        name: 'of the customer',
        status: 200,
        query: { resource_type: 'customer', resource_id: '{{audited_id}}', include_total: 'true' },
        test: `
pm.test("its creation and deletion, newest first, by the administrator", function () {
    pm.expect(body.data.map(function (e) { return e.action; })).to.eql(["customer.deleted", "customer.created"]);
    body.data.forEach(function (e) {
        pm.expect(e.resource_id).to.eql(${v('audited_id')});
        pm.expect(e.actor_type).to.eql("user");
    });
});`,
      },
      {
        op: 'list_events',
        name: 'customer creations and deletions',
        status: 200,
        query: { types: 'customer.created,customer.deleted', limit: '200' },
        test: `
pm.test("only the asked types, in feed order", function () {
    pm.expect(body.data.length).to.be.above(0);
    body.data.forEach(function (e, i) {
        pm.expect(["customer.created", "customer.deleted"]).to.include(e.type);
        if (i > 0) pm.expect(e.seq).to.be.above(body.data[i - 1].seq);
    });
});`,
      },
    ],
  },
  {
    name: 'Health',
    description: 'The probes load balancers and orchestrators call; they need no credentials.',
    steps: [
      {
        op: 'health_live',
        status: 200,
        test: `
pm.test("status ok", function () {
    pm.expect(body.status).to.eql("ok");
});`,
      },
      {
        op: 'health_ready',
        status: 200,
        test: `
pm.test("status ok, database ok", function () {
    pm.expect(body.status).to.eql("ok");
    pm.expect(body.database).to.eql("ok");
});`,
      },
    ],
  },
];

// Operations of the document no request calls, each with the reason; the coverage check accepts
// only these. A name here that the document lacks, or that a step uses, stops the generator.
const LEFT_OUT = {
  stream_conversation_messages:
    'a Server-Sent Events stream never ends, so newman would wait for it forever; the folder ' +
    '"Chatting with customers" says how to follow it with curl -N',
};

// ---------------------------------------------------------------------------------------------
// Collection-level scripts
// ---------------------------------------------------------------------------------------------

const COLLECTION_PREREQUEST = `
// Requests that inherit the collection's auth send {{access_token}}. Before such a request, this
// signs in as {{admin_email}} when there is no token yet, when it expires within a minute, or when
// it was issued for another server, account or password, and keeps the new token in access_token.
// A sign-in that failed is not retried with the same settings, so a wrong password cannot lock
// the account.
(function () {
    if (!pm.collectionVariables.get("run")) {
        pm.collectionVariables.set("run", String(10000000 + Math.floor(Math.random() * 90000000)));
    }
    const auth = pm.request.auth;
    if (auth && (auth.type !== "bearer" || auth.parameters().get("token") !== "{{access_token}}")) {
        return; // the request brings its own credentials, or none on purpose
    }
    const baseUrl = pm.variables.get("base_url");
    const email = pm.variables.get("admin_email");
    const password = pm.variables.get("admin_password");
    if (!baseUrl || !email || !password) {
        throw new Error("Set base_url, admin_email and admin_password in the environment before running Rapport's collection");
    }
    const owner = baseUrl + " " + email + " " + require("crypto-js").SHA256(password).toString().slice(0, 16);
    const token = pm.collectionVariables.get("access_token");
    const expiresAt = Number(pm.collectionVariables.get("access_token_expires_at") || 0);
    if (token && pm.collectionVariables.get("access_token_owner") === owner && Date.now() < expiresAt - 60000) {
        return;
    }
    if (pm.collectionVariables.get("sign_in_failed_for") === owner) {
        throw new Error("Signing in as " + email + " at " + baseUrl + " failed before; check base_url, admin_email and admin_password");
    }
    pm.sendRequest({
        url: baseUrl + "/api/v1/auth/login",
        method: "POST",
        header: [{ key: "Content-Type", value: "application/json" }],
        body: { mode: "raw", raw: JSON.stringify({ email: email, password: password }) }
    }, function (err, res) {
        const ok = !err && res.code === 200;
        pm.test("signed in as " + email, function () {
            pm.expect(err, "cannot reach " + baseUrl).to.eql(null);
            pm.expect(res.code, "POST /api/v1/auth/login answered " + res.text()).to.eql(200);
        });
        if (!ok) {
            pm.collectionVariables.set("sign_in_failed_for", owner);
            pm.collectionVariables.unset("access_token");
            return;
        }
        const pair = res.json();
        pm.collectionVariables.set("access_token", pair.access_token);
        pm.collectionVariables.set("access_token_expires_at", String(Date.now() + pair.expires_in * 1000));
        pm.collectionVariables.set("access_token_owner", owner);
        pm.collectionVariables.unset("sign_in_failed_for");
    });
})();
`;

const COLLECTION_TEST = `
// Checks every answer makes, whatever the request.
pm.test("X-Request-Id is set", function () {
    pm.expect(pm.response.headers.get("X-Request-Id")).to.be.a("string").and.not.empty;
});
if (pm.request.url.getPath().indexOf("/api/v1/") === 0) {
    pm.test("RateLimit and RateLimit-Policy are set", function () {
        pm.expect(pm.response.headers.get("RateLimit")).to.be.a("string").and.not.empty;
        pm.expect(pm.response.headers.get("RateLimit-Policy")).to.be.a("string").and.not.empty;
    });
}
if (/^application\\/problem\\+json/.test(pm.response.headers.get("Content-Type") || "")) {
    pm.test("the problem's request_id is the X-Request-Id", function () {
        pm.expect(pm.response.json().request_id).to.eql(pm.response.headers.get("X-Request-Id"));
    });
}
// A token the server no longer accepts (it restarted with a new database, say) is dropped, so the
// next request signs in again.
if (pm.response.code === 401) {
    const sent = pm.request.headers.get("Authorization") || "";
    if (sent === "Bearer " + pm.collectionVariables.get("access_token")) {
        pm.collectionVariables.unset("access_token");
    }
}
`;

// Only the first request of each folder: a fresh suffix, so every run creates new records and the
// collection can run again and again against the same server.
const FRESH_RUN = `// A fresh suffix for this folder's unique values (emails, phones, names).
pm.collectionVariables.set("run", String(10000000 + Math.floor(Math.random() * 90000000)));`;

// ---------------------------------------------------------------------------------------------
// Building the collection
// ---------------------------------------------------------------------------------------------

const REASONS = {
  200: 'OK', 201: 'Created', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized',
  403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict',
  412: 'Precondition Failed', 413: 'Content Too Large', 415: 'Unsupported Media Type',
  422: 'Unprocessable Content', 429: 'Too Many Requests', 503: 'Service Unavailable',
};

/** A UUID-shaped id derived from a name, so regenerating gives the same ids. */
function idFor(...parts) {
  const h = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function lines(code) {
  return code.replace(/^\n+|\s+$/g, '').split('\n');
}

function script(kind, code, ...idParts) {
  return { listen: kind, script: { id: idFor(kind, ...idParts), type: 'text/javascript', exec: lines(code) } };
}

function summaryOf(step) {
  const summary = step.op ? OPERATIONS.get(step.op).op.summary : step.route.summary;
  if (!summary) fail(`${step.op} has no summary`);
  return summary.replace(/\.$/, '');
}

function stepName(step) {
  const base = summaryOf(step);
  return `${step.name ? `${base}: ${step.name}` : base} → ${step.status}`;
}

/** The documented answer for the step's status: content type and schema (or none for 204). */
function expectedAnswer(step, where) {
  if (step.op) {
    const { op, method, path } = OPERATIONS.get(step.op);
    const response = op.responses?.[String(step.status)];
    if (!response) {
      fail(`${where}: ${method} ${path} (${step.op}) does not document status ${step.status}`);
    }
    let content = Object.entries(response.content ?? {});
    if (content.length > 1) {
      // A file in several formats: the step names the one it asks for.
      if (!step.accept) fail(`${where}: ${step.op} ${step.status} has several content types; name one with accept`);
      content = content.filter(([type]) => type === step.accept);
      if (!content.length) fail(`${where}: ${step.op} ${step.status} has no ${step.accept} answer`);
    }
    const [contentType, media] = content[0] ?? [null, null];
    if (contentType && !media.schema) fail(`${where}: ${step.op} ${step.status} has no schema`);
    return { contentType, schema: media?.schema ?? null, headers: response.headers, description: response.description ?? '' };
  }
  // An undocumented request: the answer is still a problem.
  if (step.status < 400) fail(`${where}: an undocumented route can only expect an error`);
  return { contentType: 'application/problem+json', schema: { $ref: '#/components/schemas/Problem' }, headers: {}, description: '' };
}

function buildBody(step, operation, where) {
  const b = step.body;
  if (!b) return null;
  if (b.raw !== undefined) return { raw: b.raw, contentType: b.contentType ?? 'application/json' };
  let value;
  if (b.json !== undefined) value = structuredClone(b.json);
  else if (b.example) {
    if (!operation) fail(`${where}: an example body needs an operation`);
    const media = operation.op.requestBody?.content?.['application/json'];
    if (!media?.schema) fail(`${where}: ${operation.id} takes no JSON body`);
    value = exampleOf(media.schema);
    for (const key of b.omit ?? []) {
      if (!(key in value)) fail(`${where}: omits "${key}", which the example does not have`);
      delete value[key];
    }
    Object.assign(value, b.set ?? {});
  } else fail(`${where}: body needs example, json or raw`);
  // Every field sent must be one the request schema knows, unless the step is about that mistake.
  if (operation) {
    const schema = resolveShallow(operation.op.requestBody?.content?.['application/json']?.schema);
    if (!schema) fail(`${where}: ${operation.id} takes no JSON body`);
    const known = new Set(Object.keys(schema.properties ?? {}));
    for (const key of Object.keys(value)) {
      if (!known.has(key) && !(step.allowUnknownFields ?? []).includes(key)) {
        fail(`${where}: body field "${key}" is not in ${schemaLabel(operation.op.requestBody.content['application/json'].schema)}`);
      }
    }
    if (step.status < 300) {
      for (const key of schema.required ?? []) {
        if (!(key in value)) fail(`${where}: body lacks "${key}", which ${operation.id} requires`);
      }
    }
  }
  return { raw: JSON.stringify(value, null, 2), contentType: 'application/json' };
}

/** JSON with objects over several lines and arrays of plain values on one. */
function pretty(value, indent = '') {
  if (Array.isArray(value) && value.every((x) => x === null || typeof x !== 'object')) return `[${value.map((x) => JSON.stringify(x)).join(', ')}]`;
  if (Array.isArray(value)) {
    return `[\n${value.map((x) => `${indent}    ${pretty(x, `${indent}    `)}`).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (!entries.length) return '{}';
    return `{\n${entries.map(([k, x]) => `${indent}    ${JSON.stringify(k)}: ${pretty(x, `${indent}    `)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value);
}

function buildTests(step, answer, name) {
  const out = [];
  const status = step.status;
  out.push(`// Expected: ${status} ${REASONS[status] ?? ''}${answer.contentType ? `, ${answer.contentType}` : ', no body'}.`);
  out.push('let body = null;');
  out.push('try { body = pm.response.json(); } catch (e) { /* not JSON; the checks below say so */ }');
  out.push('');
  out.push(`pm.test(${J(`status is ${status}`)}, function () {`);
  out.push(`    pm.response.to.have.status(${status});`);
  out.push('});');
  if (answer.contentType) {
    const pattern = `^${answer.contentType.replace(/[/+.]/g, '\\$&')}\\s*(;|$)`;
    out.push(`pm.test(${J(`Content-Type is ${answer.contentType}`)}, function () {`);
    out.push(`    pm.expect(pm.response.headers.get("Content-Type") || "").to.match(/${pattern}/);`);
    out.push('});');
    if (/[/+]json$/.test(answer.contentType)) {
      out.push(`pm.test(${J(`body matches ${schemaLabel(answer.schema)}`)}, function () {`);
      out.push('    pm.response.to.have.jsonSchema(responseSchema());');
      out.push('});');
    } else {
      out.push('pm.test("the body is text", function () {');
      out.push('    pm.expect(pm.response.text()).to.be.a("string").and.not.to.eql("");');
      out.push('});');
    }
  } else {
    out.push('pm.test("no body", function () {');
    out.push('    pm.expect(pm.response.text()).to.eql("");');
    out.push('});');
  }
  if (status >= 400) {
    if (!step.code) fail(`${name}: an error step must name the expected problem code`);
    const codes = resolveShallow({ $ref: '#/components/schemas/ErrorCode' }).enum ?? [];
    if (!codes.includes(step.code)) fail(`${name}: "${step.code}" is not in the ErrorCode schema`);
    // Where the document names the codes a response carries (`email_taken`, …), expect one of them.
    const documented = [...answer.description.matchAll(/`([a-z_]+)`/g)].map((m) => m[1]).filter((c) => codes.includes(c));
    if (documented.length && !documented.includes(step.code)) {
      fail(`${name}: the document says ${step.status} here is ${documented.join(' or ')}, not ${step.code}`);
    }
    out.push(`pm.test(${J(`code is ${step.code}`)}, function () {`);
    out.push(`    pm.expect(body.code).to.eql(${J(step.code)});`);
    out.push(`    pm.expect(body.status).to.eql(${status});`);
    out.push('});');
  } else if (step.code) fail(`${name}: a success has no problem code`);
  // Headers the document promises for this answer.
  if (step.location && !Object.keys(answer.headers).some((h) => h.toLowerCase() === 'location')) {
    fail(`${name}: expects a Location, which the document does not promise for ${status}`);
  }
  for (const header of Object.keys(answer.headers)) {
    const lower = header.toLowerCase();
    if (lower === 'etag') {
      out.push('pm.test("ETag is the version", function () {');
      out.push('    pm.expect(pm.response.headers.get("ETag")).to.eql(\'"\' + body.version + \'"\');');
      out.push('});');
    } else if (lower === 'location' && step.location) {
      out.push(`pm.test(${J(`Location is ${step.location}`)}, function () {`);
      out.push(`    pm.expect(pm.response.headers.get("Location")).to.eql(pm.variables.replaceIn(${J(step.location)}));`);
      out.push('});');
    } else if (lower === 'location') {
      out.push('pm.test("Location is the new record\'s URL", function () {');
      out.push('    pm.expect(pm.response.headers.get("Location")).to.match(new RegExp("/" + body.id + "$"));');
      out.push('});');
    } else if (lower === 'idempotent-replayed') {
      // Sent only on replays; the idempotency steps check it both ways.
      continue;
    } else {
      out.push(`pm.test(${J(`${header} is set`)}, function () {`);
      out.push(`    pm.expect(pm.response.headers.has(${J(header)})).to.eql(true);`);
      out.push('});');
    }
  }
  if (step.expectAllow) {
    // The methods the document lists for the path, sorted like the Allow header in the test.
    const item = spec.paths[step.route?.path ?? OPERATIONS.get(step.op).path];
    if (!item) fail(`${name}: expectAllow needs a documented path`);
    const methods = METHODS.filter((m) => item[m]).map((m) => m.toUpperCase()).sort();
    out.push('pm.test("Allow lists the methods the document gives the path", function () {');
    out.push('    const allow = (pm.response.headers.get("Allow") || "").split(",").map(function (m) { return m.trim(); }).sort();');
    out.push(`    pm.expect(allow).to.eql(${pretty(methods)});`);
    out.push('});');
  }
  if (step.test) {
    out.push('');
    out.push(...lines(step.test));
  }
  if (answer.contentType) {
    // Last, so the checks come first when the script is read in Postman; declarations are hoisted.
    const schema = toDraft7(answer.schema, { strict: true });
    out.push('');
    out.push(`// ${schemaLabel(answer.schema)} from openapi/openapi.json with every $ref resolved, as JSON Schema draft-07`);
    out.push('// for the Ajv behind pm.response.to.have.jsonSchema. Fields the document does not list are refused.');
    out.push('function responseSchema() {');
    out.push(`    return ${pretty(schema, '    ')};`);
    out.push('}');
  }
  return out.join('\n');
}

function buildItem(folder, step, index) {
  const where = `${folder.name} #${index + 1}`;
  const operation = step.op ? OPERATIONS.get(step.op) : null;
  if (step.op && !operation) fail(`${where}: no operation "${step.op}" in the document`);
  if (!step.op && !step.route) fail(`${where}: a step needs op or route`);
  if (typeof step.status !== 'number') fail(`${where}: no expected status`);
  const method = operation ? operation.method : step.route.method;
  const path = operation ? operation.path : step.route.path;
  if (!operation && spec.paths[path]?.[method.toLowerCase()]) {
    fail(`${where}: ${method} ${path} is an operation of the document; name it with op`);
  }
  const name = stepName(step);
  const answer = expectedAnswer(step, `${where} (${name})`);
  const parameters = operation ? operation.parameters : [];

  // Path: {id} → :id, with values.
  const pathNames = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  const params = step.params ?? {};
  for (const p of pathNames) if (params[p] === undefined) fail(`${where}: path parameter "${p}" has no value`);
  for (const p of Object.keys(params)) if (!pathNames.includes(p)) fail(`${where}: ${path} has no parameter "${p}"`);
  const segments = path.split('/').filter(Boolean).map((s) => s.replace(/^\{(.+)\}$/, ':$1'));

  // Query: every documented parameter, enabled when the step sets it.
  const query = [];
  const documentedQuery = parameters.filter((p) => p.in === 'query');
  for (const key of Object.keys(step.query ?? {})) {
    if (!documentedQuery.some((p) => p.name === key)) fail(`${where}: ${step.op} has no query parameter "${key}"`);
  }
  for (const p of documentedQuery) {
    const value = step.query?.[p.name];
    const entry = { key: p.name, value: value ?? (p.example !== undefined ? String(p.example) : '') };
    if (p.description) entry.description = p.description;
    if (value === undefined) entry.disabled = true;
    query.push(entry);
  }
  for (const [key, value] of Object.entries(step.extraQuery ?? {})) {
    query.push({ key, value, description: 'Not a parameter of this operation, on purpose.' });
  }
  const enabledQuery = query.filter((q) => !q.disabled);
  const raw = `{{base_url}}/${segments.join('/')}${enabledQuery.length ? `?${enabledQuery.map((q) => `${q.key}=${q.value}`).join('&')}` : ''}`;
  const url = { raw, host: ['{{base_url}}'], path: segments };
  if (query.length) url.query = query;
  if (pathNames.length) {
    url.variable = pathNames.map((p) => {
      const doc = parameters.find((x) => x.in === 'path' && x.name === p);
      const entry = { key: p, value: params[p] };
      if (doc?.description) entry.description = doc.description;
      return entry;
    });
  }

  // Headers: the step's, the body's content type, and documented header parameters left off.
  const body = buildBody(step, operation, `${where} (${name})`);
  const header = [];
  if (body) header.push({ key: 'Content-Type', value: body.contentType });
  for (const [key, value] of Object.entries(step.headers ?? {})) {
    const doc = parameters.find((p) => p.in === 'header' && p.name.toLowerCase() === key.toLowerCase());
    const entry = { key, value };
    if (doc?.description) entry.description = doc.description;
    header.push(entry);
  }
  for (const p of parameters.filter((x) => x.in === 'header')) {
    if (Object.keys(step.headers ?? {}).some((k) => k.toLowerCase() === p.name.toLowerCase())) continue;
    const entry = { key: p.name, value: '', disabled: true };
    if (p.description) entry.description = p.description;
    header.push(entry);
  }

  // Auth: the collection's admin token unless the operation needs none or the step says otherwise.
  let auth;
  const open = operation && (operation.op.security ?? spec.security ?? []).some((s) => Object.keys(s).length === 0);
  if (step.auth === 'none' || (step.auth === undefined && open)) auth = { type: 'noauth' };
  else if (step.auth !== undefined) auth = { type: 'bearer', bearer: [{ key: 'token', value: step.auth, type: 'string' }] };

  const description = [];
  if (operation) {
    description.push(`\`${method} ${path}\` (\`${operation.id}\`)`);
    if (operation.op.description?.trim()) description.push(operation.op.description.trim());
  } else {
    description.push(`\`${method} ${path}\`: not an operation of Rapport's API.`);
  }
  if (step.note) description.push(step.note);
  description.push(
    `**Expects** ${step.status} ${REASONS[step.status] ?? ''}` +
      (answer.contentType ? ` as \`${answer.contentType}\` matching \`${schemaLabel(answer.schema)}\`` : ' with no body') +
      (step.code ? `, \`code\` \`${step.code}\`` : '') + '.',
  );

  const request = { method, header };
  if (auth) request.auth = auth;
  if (body) request.body = { mode: 'raw', raw: body.raw, options: { raw: { language: body.contentType === 'application/json' ? 'json' : 'text' } } };
  request.url = url;
  request.description = description.join('\n\n');

  const event = [];
  const pre = [index === 0 ? FRESH_RUN : null, step.pre ?? null].filter(Boolean).join('\n\n');
  if (pre) event.push(script('prerequest', pre, folder.name, name, index));
  event.push(script('test', buildTests(step, answer, `${where} (${name})`), folder.name, name, index));

  return { id: idFor('item', folder.name, name, index), name, event, request, response: [] };
}

function buildCollection() {
  const used = new Map();
  const items = FOLDERS.map((folder) => {
    const names = new Set();
    const item = folder.steps.map((step, index) => {
      const built = buildItem(folder, step, index);
      if (names.has(built.name)) fail(`${folder.name}: two requests are named "${built.name}"`);
      names.add(built.name);
      if (step.op) used.set(step.op, (used.get(step.op) ?? 0) + 1);
      return built;
    });
    return { id: idFor('folder', folder.name), name: folder.name, description: folder.description, item };
  });

  // Coverage: a route added to the API without a request here stops the generator.
  for (const id of Object.keys(LEFT_OUT)) {
    if (!OPERATIONS.has(id)) fail(`LEFT_OUT names ${id}, which is no operation of ${relative(ROOT, SPEC_FILE)}`);
    if (used.has(id)) fail(`LEFT_OUT names ${id}, which a request of the collection calls`);
  }
  const unused = [...OPERATIONS.keys()].filter((id) => !used.has(id) && !(id in LEFT_OUT));
  if (unused.length) {
    fail(
      `these operations of ${relative(ROOT, SPEC_FILE)} are used by no request of the collection: ` +
        `${unused.join(', ')}. Add a step for each to FOLDERS in ${relative(ROOT, fileURLToPath(import.meta.url))}.`,
    );
  }

  // Declare every collection variable the scripts set or the requests read.
  const text = JSON.stringify(items);
  const BUILT_IN_VARIABLES = ['access_token', 'access_token_expires_at', 'access_token_owner', 'run', 'sign_in_failed_for'];
  const names = new Set(BUILT_IN_VARIABLES);
  for (const m of text.matchAll(/pm\.collectionVariables\.set\(\\"([a-z_]+)\\"/g)) names.add(m[1]);
  const environmentNames = new Set(ENVIRONMENT.map((e) => e.key));
  for (const m of text.matchAll(/\{\{([a-z_]+)\}\}/g)) if (!environmentNames.has(m[1])) names.add(m[1]);
  for (const n of names) {
    if (!text.includes(`pm.collectionVariables.set(\\"${n}\\"`) && !BUILT_IN_VARIABLES.includes(n)) {
      fail(`variable {{${n}}} is read but never set`);
    }
  }

  return {
    info: {
      _postman_id: idFor('collection', spec.info.title),
      name: spec.info.title,
      description:
        `${spec.info.description}\n\n` +
        `Generated from \`openapi/openapi.json\` (version ${spec.info.version}) by ` +
        '`examples/postman/generate.mjs`; do not edit by hand. Choose the **Rapport (local)** environment, ' +
        'set `admin_password`, and run the collection: the folders tell the story in order, and every ' +
        'request checks its status, content type, problem `code` and body schema.',
      schema: 'https://schema.getpostman.com/json/collection/v2.1.0/collection.json',
    },
    item: items,
    auth: { type: 'bearer', bearer: [{ key: 'token', value: '{{access_token}}', type: 'string' }] },
    event: [
      script('prerequest', COLLECTION_PREREQUEST, 'collection'),
      script('test', COLLECTION_TEST, 'collection'),
    ],
    variable: [...names].sort().map((key) => ({ key, value: '', type: 'string' })),
  };
}

const ENVIRONMENT = [
  { key: 'base_url', value: 'http://127.0.0.1:8080', type: 'default', enabled: true },
  { key: 'admin_email', value: 'admin@rapport.localhost', type: 'default', enabled: true },
  { key: 'admin_password', value: '', type: 'secret', enabled: true },
];

function buildEnvironment() {
  return {
    id: idFor('environment', 'Rapport (local)'),
    name: 'Rapport (local)',
    values: ENVIRONMENT,
    _postman_variable_scope: 'environment',
  };
}

// ---------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------

function main(argv) {
  load();
  const check = argv.includes('--check');
  const unknown = argv.filter((a) => a !== '--check');
  if (unknown.length) {
    console.error(`usage: node ${relative(process.cwd(), fileURLToPath(import.meta.url))} [--check]`);
    return 2;
  }
  const outputs = [
    [COLLECTION_FILE, `${JSON.stringify(buildCollection(), null, 2)}\n`],
    [ENVIRONMENT_FILE, `${JSON.stringify(buildEnvironment(), null, 2)}\n`],
  ];
  if (check) {
    const stale = outputs.filter(([file, text]) => !existsSync(file) || readFileSync(file, 'utf8') !== text);
    for (const [file] of stale) {
      console.error(`${relative(process.cwd(), file)} is stale: run \`node ${relative(process.cwd(), fileURLToPath(import.meta.url))}\` and commit it`);
    }
    if (stale.length) return 1;
    console.log('The Postman collection and environment are current.');
    return 0;
  }
  for (const [file, text] of outputs) {
    writeFileSync(file, text);
    console.log(`wrote ${relative(process.cwd(), file)}`);
  }
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  if (!(e instanceof GeneratorError)) throw e;
  console.error(`generate.mjs: ${e.message}`);
  process.exitCode = 1;
}
