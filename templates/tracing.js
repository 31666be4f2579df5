// Browser tracing for the frontend (written by cruddur-obs; safe to edit).
//
// Spans for the page load and for every fetch() go to the OpenTelemetry
// Collector at REACT_APP_OTEL_COLLECTOR_URL (set in the compose file), which
// forwards them to Honeycomb with the API key it holds. Nothing secret belongs
// here: the build copies REACT_APP_* values into the JavaScript every visitor
// downloads. Unset or empty, tracing stays off and the app runs as before.
//
// Imported first by the entry point (`import './tracing';` in src/index.*), so
// fetch() is traced from the first request. The backend's spans join the same
// trace: the `traceparent` header goes to REACT_APP_BACKEND_URL only (its CORS
// must allow it), never to other sites.
import { ZoneContextManager } from '@opentelemetry/context-zone';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { DocumentLoadInstrumentation } from '@opentelemetry/instrumentation-document-load';
import { FetchInstrumentation } from '@opentelemetry/instrumentation-fetch';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { WebTracerProvider } from '@opentelemetry/sdk-trace-web';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

// A base URL as written in the environment, without spaces or trailing slashes.
function baseUrl(value) {
  return (value || '').trim().replace(/\/+$/, '');
}

// Matches the URL `base` and every URL below it (and nothing else).
function urlsUnder(base) {
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp('^' + escaped + '([/?#]|$)');
}

const collectorUrl = baseUrl(process.env.REACT_APP_OTEL_COLLECTOR_URL);
const backendUrl = baseUrl(process.env.REACT_APP_BACKEND_URL);

if (collectorUrl) {
  const provider = new WebTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'frontend-react-js' }),
    spanProcessors: [
      new BatchSpanProcessor(new OTLPTraceExporter({ url: `${collectorUrl}/v1/traces` })),
    ],
  });
  provider.register({ contextManager: new ZoneContextManager() });
  registerInstrumentations({
    instrumentations: [
      new DocumentLoadInstrumentation(),
      new FetchInstrumentation({
        // The trace header only to our backend (other sites' CORS would refuse it).
        propagateTraceHeaderCorsUrls: backendUrl ? [urlsUnder(backendUrl)] : [],
        // The exporter's own requests are not traced: no span for every export.
        ignoreUrls: [urlsUnder(collectorUrl)],
      }),
    ],
  });
}
