"""OpenTelemetry tracing, set up once per process; W3C trace context in and out."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

_provider: TracerProvider | None = None


def setup_tracing(
    service: str, otlp_endpoint: str | None = None, extra: SpanProcessor | None = None
) -> TracerProvider:
    """Install the process-wide tracer provider (idempotent). OTLP export only if configured."""
    global _provider
    if _provider is None:
        _provider = TracerProvider(resource=Resource.create({"service.name": service}))
        if otlp_endpoint:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

            _provider.add_span_processor(
                BatchSpanProcessor(OTLPSpanExporter(endpoint=otlp_endpoint))
            )
        trace.set_tracer_provider(_provider)
    if extra is not None:
        _provider.add_span_processor(extra)
    return _provider


def current_traceparent() -> tuple[str | None, str | None]:
    """The current context as (traceparent, tracestate), for storing in an outbox row."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent"), carrier.get("tracestate")


def traceparent_of(span: trace.Span) -> str | None:
    """The W3C traceparent naming `span`, for records and envelopes that outlive it."""
    ctx = span.get_span_context()
    if not ctx.is_valid:
        return None
    return f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{int(ctx.trace_flags):02x}"


def context_from(traceparent: str | None, tracestate: str | None = None):  # type: ignore[no-untyped-def]
    carrier: Mapping[str, str] = {
        k: v for k, v in (("traceparent", traceparent), ("tracestate", tracestate)) if v
    }
    return propagate.extract(carrier)
