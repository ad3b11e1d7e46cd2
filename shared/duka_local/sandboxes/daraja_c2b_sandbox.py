"""The Daraja sandbox's C2B (Register URL v2, validation, confirmation) and Transaction Status.

- `POST /mpesa/c2b/v2/registerurl`: remembers the shortcode's confirmation and validation URLs
  (a repeat replaces them, like Daraja).
- `POST /mpesa/transactionstatus/v1/query`: answered at once with Daraja's ids; the result is
  posted to the ResultURL from a thread (so it may overtake the caller's own bookkeeping): the
  network's record of the receipt (ReceiptNo, Amount, CreditPartyName "<shortcode> - <name>",
  TransactionStatus "Completed"), or ResultCode R000002 for a receipt the network does not know
  (the code the sandbox uses for "not found"), or 2001 for a wrong operator.

Control (JSON), used by tests and `duka sandbox mpesa pay-till`:
- `POST /_sandbox/c2b/pay {"shortcode", "amount", "phone", "account"?, "name"?,
  "language"?, "lose_confirmation"?}`: a customer pays that Till/Paybill from her phone. The
  payment is recorded on the network, the registered validation then confirmation URLs are
  called (no confirmation when `lose_confirmation`), and the answer holds the receipt and the
  confirmation SMS she would get ("en", or "sw" for a phone set to Swahili).
- `POST /_sandbox/c2b/status_timeout_next`: the next Transaction Status goes to the
  QueueTimeOutURL instead.
"""

from __future__ import annotations

import secrets
import string
import threading
import weakref
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from duka.payments.daraja import NAIROBI, nairobi_timestamp
from duka.payments.daraja_c2b import REGISTER_PATH, STATUS_PATH
from duka_local.sandboxes.paylink_sandbox import json_response

if TYPE_CHECKING:
    from duka_local.sandboxes.daraja_sandbox import DarajaSandbox, MpesaTransaction

NOT_FOUND = ("R000002", "The transaction receipt number does not exist.")
BAD_INITIATOR = ("2001", "The initiator information is invalid.")
_IDENTIFIER_TYPES = ("1", "2", "4")


@dataclass
class C2BDesk:
    """What the C2B and Transaction Status endpoints of one sandbox remember."""

    urls: dict[str, tuple[str, str]] = field(default_factory=dict)  # shortcode -> (conf, valid)
    timeout_next: bool = False
    notices: list[dict[str, Any]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


_desks: weakref.WeakKeyDictionary[DarajaSandbox, C2BDesk] = weakref.WeakKeyDictionary()


def c2b_desk(sandbox: DarajaSandbox) -> C2BDesk:
    return _desks.setdefault(sandbox, C2BDesk())


def c2b_rules(sandbox: DarajaSandbox) -> list[Rule]:
    return [
        Rule(REGISTER_PATH, methods=["POST"], endpoint=lambda r: _register(sandbox, r)),
        Rule(STATUS_PATH, methods=["POST"], endpoint=lambda r: _status(sandbox, r)),
        Rule("/_sandbox/c2b/pay", methods=["POST"], endpoint=lambda r: _pay(sandbox, r)),
        Rule(
            "/_sandbox/c2b/status_timeout_next",
            methods=["POST"],
            endpoint=lambda r: _timeout_next(sandbox),
        ),
    ]


def new_receipt() -> str:
    """A receipt shaped like M-Pesa's: a letter, letters and digits, ten in all."""
    letters, digits = string.ascii_uppercase, string.digits
    parts = [secrets.choice("QRST"), *(secrets.choice(letters) for _ in range(2))]
    parts += [secrets.choice(digits), *(secrets.choice(letters) for _ in range(3))]
    parts += [secrets.choice(digits) for _ in range(3)]
    return "".join(parts)


def confirmation_sms(
    receipt: str,
    amount: int,
    name: str,
    account: str | None,
    moment: datetime,
    language: str = "en",
) -> str:
    """The SMS Safaricom sends the payer, in her phone's language, as customers paste it."""
    local = moment.astimezone(NAIROBI)
    date, clock = f"{local.day}/{local.month}/{local:%y}", f"{local:%I:%M %p}".lstrip("0")
    paid = f"Ksh{amount:,.2f}"
    if language == "sw":
        to = f"imetumwa kwa {name} kwa akaunti {account}" if account else f"imelipwa kwa {name}."
        return (
            f"{receipt} Imethibitishwa. {paid} {to} tarehe {date} saa {clock}. Salio lako jipya "
            "la M-PESA ni Ksh1,250.00. Gharama ya matumizi ni Ksh0.00."
        )
    to = f"sent to {name} for account {account}" if account else f"paid to {name}."
    return (
        f"{receipt} Confirmed. {paid} {to} on {date} at {clock} New M-PESA balance is "
        "Ksh1,250.00. Transaction cost, Ksh0.00. Amount you can transact within the day is "
        "499,000.00."
    )


def _register(sandbox: DarajaSandbox, request: Request) -> Response:
    if (refused := sandbox.token_refused(request)) is not None:
        return refused
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "400.002.05", "Invalid Request Payload")
    urls = (body.get("ConfirmationURL"), body.get("ValidationURL"))
    if body.get("ResponseType") not in ("Completed", "Cancelled"):
        return _error(400, "400.002.02", "Bad Request - Invalid ResponseType")
    if not str(body.get("ShortCode") or "").isdigit():
        return _error(400, "400.002.02", "Bad Request - Invalid ShortCode")
    if not all(isinstance(url, str) and url.startswith(("http://", "https://")) for url in urls):
        return _error(400, "400.002.02", "Bad Request - Invalid URL")
    desk = c2b_desk(sandbox)
    with desk.lock:
        desk.urls[str(body["ShortCode"])] = (str(urls[0]), str(urls[1]))
    return json_response(
        200,
        {
            "OriginatorCoversationID": _ref(),  # sic: Daraja's spelling
            "ResponseCode": "0",
            "ResponseDescription": "Success",
        },
    )


def _status(sandbox: DarajaSandbox, request: Request) -> Response:
    if (refused := sandbox.token_refused(request)) is not None:
        return refused
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return _error(400, "400.002.05", "Invalid Request Payload")
    required = ("TransactionID", "PartyA", "ResultURL", "QueueTimeOutURL")
    missing = next((name for name in required if not body.get(name)), None)
    if missing is None and str(body.get("IdentifierType")) not in _IDENTIFIER_TYPES:
        missing = "IdentifierType"
    if missing is not None or body.get("CommandID") != "TransactionStatusQuery":
        return _error(400, "400.002.02", f"Bad Request - Invalid {missing or 'CommandID'}")
    ids = {"OriginatorConversationID": _ref(), "ConversationID": f"AG_{_ref()}"}
    desk = c2b_desk(sandbox)
    with desk.lock:
        timeout, desk.timeout_next = desk.timeout_next, False
    if timeout:
        notice = {"Result": {**ids, "ResultType": 1, "ResultCode": "1", "ResultDesc": "timeout"}}
        url = str(body["QueueTimeOutURL"])
    else:
        notice = {"Result": _result(sandbox, body, ids)}
        url = str(body["ResultURL"])
    threading.Thread(target=_post, args=(desk, url, notice), daemon=True).start()
    return json_response(
        200,
        {
            **ids,
            "ResponseCode": "0",
            "ResponseDescription": "Accept the service request successfully.",
        },
    )


def _result(sandbox: DarajaSandbox, body: dict[str, Any], ids: dict[str, str]) -> dict[str, Any]:
    base = {**ids, "ResultType": 0, "TransactionID": _ref()}
    if sandbox.invalid_initiator(body) is not None:
        return {**base, "ResultCode": BAD_INITIATOR[0], "ResultDesc": BAD_INITIATOR[1]}
    found = sandbox.find_transaction(str(body["TransactionID"]))
    if found is None:
        return {**base, "ResultCode": NOT_FOUND[0], "ResultDesc": NOT_FOUND[1]}
    return {
        **base,
        "ResultCode": 0,
        "ResultDesc": "The service request is processed successfully.",
        "ResultParameters": {"ResultParameter": _parameters(found)},
    }


def _parameters(found: MpesaTransaction) -> list[dict[str, Any]]:
    moment = nairobi_timestamp(found.completed_at)
    return [
        {"Key": "DebitPartyName", "Value": f"{found.msisdn} - Customer"},
        {"Key": "CreditPartyName", "Value": f"{found.shortcode} - Shop"},
        {"Key": "OriginatorConversationID", "Value": _ref()},
        {"Key": "InitiatedTime", "Value": int(moment)},
        {"Key": "DebitAccountType", "Value": "MMF Account For Customer"},
        {"Key": "DebitPartyCharges"},
        {"Key": "TransactionReason"},
        {"Key": "ReasonType", "Value": "Pay Merchant"},
        {"Key": "TransactionStatus", "Value": "Completed"},
        {"Key": "FinalisedTime", "Value": int(moment)},
        {"Key": "Amount", "Value": float(found.amount_kes)},
        {"Key": "ConversationID", "Value": _ref()},
        {"Key": "ReceiptNo", "Value": found.receipt},
    ]


def _pay(sandbox: DarajaSandbox, request: Request) -> Response:
    from duka_local.sandboxes.daraja_sandbox import MpesaTransaction

    body = request.get_json(silent=True) or {}
    shortcode, phone = str(body.get("shortcode") or ""), str(body.get("phone") or "")
    amount = body.get("amount")
    if not shortcode.isdigit() or type(amount) is not int or amount < 1 or not phone:
        return json_response(400, {"error": "shortcode (digits), amount (int) and phone needed"})
    account = str(body["account"]).upper() if body.get("account") else None
    moment = datetime.now(UTC)
    transaction = MpesaTransaction(
        receipt=new_receipt(),
        amount_kes=amount,
        shortcode=shortcode,
        msisdn=phone.removeprefix("+"),
        completed_at=moment,
        kind="c2b",
        bill_ref=account,
    )
    sandbox.record_transaction(transaction)
    desk = c2b_desk(sandbox)
    with desk.lock:
        urls = desk.urls.get(shortcode)
    notice = {
        "TransactionType": "Pay Bill" if account else "Buy Goods",
        "TransID": transaction.receipt,
        "TransTime": nairobi_timestamp(moment),
        "TransAmount": f"{amount}.00",
        "BusinessShortCode": shortcode,
        "BillRefNumber": account or "",
        "InvoiceNumber": "",
        "OrgAccountBalance": "",
        "ThirdPartyTransID": "",
        "MSISDN": transaction.msisdn,
        "FirstName": "Customer",
        "MiddleName": "",
        "LastName": "",
    }
    if urls is not None:
        _post(desk, urls[1], notice)
        if not body.get("lose_confirmation"):
            _post(desk, urls[0], notice)
    name = str(body.get("name") or "SHOP")
    language = "sw" if body.get("language") == "sw" else "en"
    sms = confirmation_sms(transaction.receipt, amount, name, account, moment, language)
    return json_response(200, {"receipt": transaction.receipt, "sms": sms})


def _timeout_next(sandbox: DarajaSandbox) -> Response:
    desk = c2b_desk(sandbox)
    with desk.lock:
        desk.timeout_next = True
    return json_response(200, {"ok": True})


def _post(desk: C2BDesk, url: str, body: dict[str, Any]) -> None:
    try:
        status: int | str = httpx.post(url, json=body, timeout=15).status_code
    except httpx.HTTPError as exc:
        status = repr(exc)
    with desk.lock:
        desk.notices.append({"url": url, "status": status})


def _ref() -> str:
    return f"{secrets.randbelow(10**5)}-{secrets.randbelow(10**8)}-1"


def _error(status: int, code: str, message: str) -> Response:
    return json_response(status, {"requestId": _ref(), "errorCode": code, "errorMessage": message})
