"""One clear line for every way an operator command can fail, AWS's own errors included."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
)

from autodispatch.errors import shown
from autodispatch.models.text import Text
from autodispatch_cli.output import reader_language, user_errors
from autodispatch_cli.target import TargetError

# AWS error codes of credentials it does not accept, and of a policy that does not allow the call.
BAD_CREDENTIALS = frozenset(
    {"UnrecognizedClientException", "InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException"}
)
ACCESS_DENIED = frozenset({"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"})


def aws_refusal(error: ClientError) -> Text:
    """What AWS refused, in the catalogue's words; AWS's own message (English) is quoted as it is."""
    details = error.response.get("Error", {})
    operation = getattr(error, "operation_name", None) or "?"
    code, message = str(details.get("Code", "error")), str(details.get("Message", ""))
    if code in BAD_CREDENTIALS:
        return Text.of("target.bad_credentials", aws_code=code)
    if code in ACCESS_DENIED:
        return Text.of("target.access_denied", operation=operation, aws_code=code)
    if message:
        return Text.of("target.refused_saying", operation=operation, aws_code=code, message=message)
    return Text.of("target.refused", operation=operation, aws_code=code)


@contextmanager
def operator_errors(ctx: typer.Context | None = None) -> Iterator[None]:
    """The library's errors and botocore's become one line and a non-zero exit (never a traceback),
    in the language the command was asked to speak (--lang)."""
    with user_errors(reader_language(ctx)):
        try:
            yield
        except (NoCredentialsError, PartialCredentialsError):
            raise TargetError.said(
                Text.of("target.no_credentials", local=Text.of("target.local_hint"))
            ) from None
        except NoRegionError:
            raise TargetError.said(Text.of("target.no_region")) from None
        except ProfileNotFound as error:
            profile = shown(error.kwargs.get("profile"))
            raise TargetError.said(Text.of("target.profile_not_found", profile=profile)) from None
        except EndpointConnectionError as error:
            endpoint = str(error.kwargs.get("endpoint_url", ""))
            hint = "target.hint_local" if os.environ.get("AWS_ENDPOINT_URL") else "target.hint_network"
            raise TargetError.said(
                Text.of("target.unreachable", endpoint=endpoint, hint=Text.of(hint))
            ) from None
        except ClientError as error:
            raise TargetError.said(aws_refusal(error)) from None
        except BotoCoreError as error:
            raise TargetError.said(Text.of("target.request_failed", error=str(error))) from None
