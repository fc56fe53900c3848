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

from autodispatch_cli.output import reader_language, user_errors
from autodispatch_cli.target import TargetError

LOCAL_HINT = "for the local system, start `autodispatch local serve` and export what it prints"


@contextmanager
def operator_errors(ctx: typer.Context | None = None) -> Iterator[None]:
    """The library's errors and botocore's become one line and a non-zero exit (never a traceback),
    in the language the command was asked to speak (--lang)."""
    with user_errors(reader_language(ctx)):
        try:
            yield
        except (NoCredentialsError, PartialCredentialsError):
            raise TargetError(
                "no AWS credentials found: configure a profile (AWS_PROFILE) or export AWS_ACCESS_KEY_ID "
                f"and AWS_SECRET_ACCESS_KEY; {LOCAL_HINT}"
            ) from None
        except NoRegionError:
            raise TargetError(
                "no AWS region: pass --region or set AWS_REGION (or AWS_DEFAULT_REGION)"
            ) from None
        except ProfileNotFound as error:
            raise TargetError(f"AWS profile '{error.kwargs.get('profile')}' not found") from None
        except EndpointConnectionError as error:
            endpoint = error.kwargs.get("endpoint_url", "")
            hint = (
                "is `autodispatch local serve` running there?"
                if os.environ.get("AWS_ENDPOINT_URL")
                else "check the network and region"
            )
            raise TargetError(f"cannot reach {endpoint}: {hint}") from None
        except ClientError as error:
            details = error.response.get("Error", {})
            operation = getattr(error, "operation_name", "the request")
            code, message = details.get("Code", "error"), details.get("Message", "")
            raise TargetError(
                f"AWS refused {operation}: {code}" + (f": {message}" if message else "")
            ) from None
        except BotoCoreError as error:
            raise TargetError(f"AWS request failed: {error}") from None
