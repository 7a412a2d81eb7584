"""The spyne service: every operation converts input, calls an offline_exchange service, converts output."""
from __future__ import annotations

import logging
from functools import wraps

from django.conf import settings
from django.db import DatabaseError
from spyne import Application, Boolean, Fault, Integer, ServiceBase, Unicode, rpc

from equipment_service.protocol import HardenedSoap11, HardenedSoap12, current_call
from offline_exchange.exceptions import DeviceNotBoundError, ExchangeError, InvalidDeviceIdError, UnknownDeviceError
from offline_exchange.services import devices, exports, journal, sales, transfers

logger = logging.getLogger(__name__)

TNS = "http://www.1c.ru/EquipmentService"


def _text(value: bytes) -> str:
    return value.decode("utf-8")


def operation(name: str):
    """Journal the call and turn domain errors into SOAP faults in the caller's terms."""

    def decorate(fn):
        @wraps(fn)
        def wrapper(ctx, *args):
            call = current_call.get()
            if call is not None:
                call.operation = name
                call.device_ref = str(args[0] or "")[:100] if args else ""
            try:
                return fn(ctx, *args)
            except DeviceNotBoundError as exc:
                _not_bound(call, str(exc))
                raise Fault("Client", str(exc)) from None
            except (InvalidDeviceIdError, UnknownDeviceError) as exc:
                _failed(call, str(exc))
                raise Fault("Client", str(exc)) from None
            except ExchangeError as exc:
                _failed(call, str(exc))
                raise Fault("Server", str(exc)) from None
            except Fault:
                raise
            except Exception:  # noqa: BLE001 - a device gets a short text, never a stack trace
                logger.exception("EquipmentService.%s failed", name)
                _failed(call, "Внутренняя ошибка сервера")
                raise Fault("Server", "Внутренняя ошибка сервера; подробности в журнале сервера") from None

        return wrapper

    return decorate


def _failed(call, message: str) -> None:
    if call is not None:
        call.status, call.error = "fault", message


def _not_bound(call, message: str) -> None:
    """The caller got the unknown-device answer; the journal says who asked for someone else's device."""
    if call is not None:
        login = getattr(call.user, "username", "")
        call.status, call.error = "denied", message
        call.note = (f"Пользователь «{login}» не привязан к оборудованию «{call.device_ref}»; "
                     f"адрес {call.address or 'неизвестен'}")


def _device(device_ref):
    call = current_call.get()
    device = devices.device_get(device_ref=device_ref, user=call.user if call is not None else None)
    if call is not None:
        call.device = device
    return device


def _device_or_none(device_ref):
    """Connect and GetVersion answer false / 0 for a device unknown to this login, never a fault."""
    call = current_call.get()
    try:
        device = devices.device_find(device_ref=device_ref, user=call.user if call is not None else None)
    except DeviceNotBoundError as exc:
        _not_bound(call, str(exc))
        return None
    if device is not None and call is not None:
        call.device = device
    return device


def _rpc(name: str, *params, returns):
    """params: (XML name, spyne type) pairs; names are given explicitly because the journaling
    wrapper hides the function's own argument names from spyne."""
    return rpc(
        *[kind for _name, kind in params], _args=tuple(arg for arg, _kind in params), _returns=returns,
        _operation_name=name, _out_message_name=f"{name}Response", _out_variable_name="return",
    )


class EquipmentService(ServiceBase):
    @_rpc("GetVersion", ("DeviceID", Unicode), returns=Integer)
    @operation("GetVersion")
    def get_version(ctx, DeviceID):
        device = _device_or_none(DeviceID)
        return device.format_version if device is not None else 0

    @_rpc("Connect", ("DeviceID", Unicode), returns=Boolean)
    @operation("Connect")
    def connect(ctx, DeviceID):
        return _device_or_none(DeviceID) is not None

    @_rpc("GetSettings", ("DeviceID", Unicode), returns=Unicode)
    @operation("GetSettings")
    def get_settings(ctx, DeviceID):
        return _text(exports.settings_export(device=_device(DeviceID)))

    @_rpc("GetPriceList", ("DeviceID", Unicode), returns=Unicode)
    @operation("GetPriceList")
    def get_price_list(ctx, DeviceID):
        return _text(transfers.price_list_deliver(device=_device(DeviceID)))

    @_rpc("PreparePriceList", ("DeviceID", Unicode), returns=Unicode)
    @operation("PreparePriceList")
    def prepare_price_list(ctx, DeviceID):
        transfer = transfers.transfer_prepare(device=_device(DeviceID), full=False)
        current_call.get().transfer_id = str(transfer.pk)
        return str(transfer.pk)

    @_rpc("PrepareFullPriceList", ("DeviceID", Unicode), ("FullPriceList", Boolean), returns=Unicode)
    @operation("PrepareFullPriceList")
    def prepare_full_price_list(ctx, DeviceID, FullPriceList):
        transfer = transfers.transfer_prepare(device=_device(DeviceID), full=bool(FullPriceList))
        current_call.get().transfer_id = str(transfer.pk)
        return str(transfer.pk)

    @_rpc("GetPriceListPackage", ("DeviceID", Unicode), ("TransferID", Unicode), ("Restart", Boolean), returns=Unicode)
    @operation("GetPriceListPackage")
    def get_price_list_package(ctx, DeviceID, TransferID, Restart):
        device = _device(DeviceID)
        call = current_call.get()
        call.transfer_id = (TransferID or "").strip()[:36] or None
        answer = transfers.package_next(device=device, transfer_id=TransferID or "", restart=bool(Restart))
        call.note = f"пакет {answer.number} из {answer.total}" if answer.formed else transfers.NOT_FORMED_NOTE
        return _text(answer.content)

    @_rpc("GetGood", ("DeviceID", Unicode), ("Barcode", Unicode), returns=Unicode)
    @operation("GetGood")
    def get_good(ctx, DeviceID, Barcode):
        return _text(exports.good_by_barcode(device=_device(DeviceID), barcode=Barcode or ""))

    @_rpc("GetDocs", ("DeviceID", Unicode), ("DocType", Unicode), returns=Unicode)
    @operation("GetDocs")
    def get_docs(ctx, DeviceID, DocType):
        device = _device(DeviceID)
        if (DocType or "").strip() != "Order":
            return ""
        return _text(exports.orders_export(device=device))

    @_rpc("GetDocTypes", returns=Unicode)
    @operation("GetDocTypes")
    def get_doc_types(ctx):
        return ""

    @_rpc("PostDocs", ("DeviceID", Unicode), ("DocType", Unicode), ("Document", Unicode), returns=Unicode)
    @operation("PostDocs")
    def post_docs(ctx, DeviceID, DocType, Document):
        call = current_call.get()
        doc_type = (DocType or "").strip()
        document = (Document or "").encode("utf-8")
        # Only a device of this login gets its upload kept: a stranger's 50 MB never reach the journal.
        device = _device(DeviceID)
        # Archived before processing, whatever happens next: a bad document, a failed import.
        call.journal_entry = journal.journal_receive(
            device=device, device_ref=str(DeviceID or ""), operation="PostDocs", user=call.user, doc_type=doc_type,
            document=document, request_bytes=call.request_bytes,
        )
        try:
            result = sales.post_docs(device=device, doc_type=doc_type, document=document,
                                     user=call.user, journal_entry=call.journal_entry,
                                     max_bytes=call.max_bytes or settings.EQUIPMENT_SERVICE_MAX_REQUEST_BYTES)
        except DatabaseError:
            logger.exception("PostDocs import failed in the database")
            message = ("Отчет не загружен: ошибка базы данных сервера, ничего не сохранено. "
                       "Документ сохранен в журнале обмена; повторите выгрузку.")
            _failed(call, message)
            raise Fault("Server", message) from None
        call.status = journal.upload_status(success=result.success,
                                            unposted=any(not report.posted for report in result.reports))
        if call.status != "ok":  # refused, or taken with a report left unposted (a warning)
            call.error = result.description
        call.note, call.warning = result.note, result.warning
        return _text(result.content)


def _application(protocol_class) -> Application:
    return Application(
        [EquipmentService], tns=TNS, name="EquipmentService",
        in_protocol=protocol_class(), out_protocol=protocol_class(),
    )


soap11_application = _application(HardenedSoap11)
soap12_application = _application(HardenedSoap12)
