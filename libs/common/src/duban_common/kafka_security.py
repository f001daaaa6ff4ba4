"""How a service proves who it is to the brokers: TLS, mTLS or SASL/SCRAM from its settings.

One place builds the security of every Kafka client a service opens: FastStream's broker
(`make_broker`) and raw aiokafka clients (admin, tools) get the same credentials.
"""

from __future__ import annotations

from typing import Any

from aiokafka.helpers import create_ssl_context
from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLScram256, SASLScram512

from duban_common.settings import ServiceSettings

_SCRAM = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256}


def broker_security(settings: ServiceSettings) -> BaseSecurity | None:
    """FastStream's security object for `KafkaBroker(security=...)`; None for PLAINTEXT."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    ssl_context = None
    if protocol in ("SSL", "SASL_SSL"):
        ssl_context = create_ssl_context(
            cafile=settings.kafka_ssl_cafile,
            certfile=settings.kafka_ssl_certfile,
            keyfile=settings.kafka_ssl_keyfile,
        )
    if protocol == "SSL":
        return BaseSecurity(ssl_context=ssl_context)
    # Settings refuse SASL without both; the asserts narrow the types.
    assert settings.kafka_sasl_username and settings.kafka_sasl_password
    scram = _SCRAM[settings.kafka_sasl_mechanism]
    return scram(
        settings.kafka_sasl_username,
        settings.kafka_sasl_password.get_secret_value(),
        ssl_context=ssl_context,
        use_ssl=protocol == "SASL_SSL",
    )


def client_options(settings: ServiceSettings) -> dict[str, Any]:
    """Keyword arguments for raw aiokafka clients (AIOKafkaAdminClient, producers, consumers)."""
    return parse_security(broker_security(settings))
