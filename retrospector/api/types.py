"""Types the API's input schemas share."""

from typing import Annotated

from pydantic import AfterValidator, AwareDatetime
from pydantic_core import PydanticCustomError

from retrospector.core.untrusted import OUT_OF_RANGE, utc_in_range


def _in_range(moment):
    try:
        utc_in_range(moment)
    except ValueError:
        raise PydanticCustomError("time_out_of_range", f"This time {OUT_OF_RANGE}.") from None
    return moment


# A time with its zone that converts to UTC and to every viewer's zone (9999-12-31T23:59:59-23:59 does not: 422).
Instant = Annotated[AwareDatetime, AfterValidator(_in_range)]
