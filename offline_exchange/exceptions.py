"""Domain errors of the exchange; the SOAP layer maps each to a fault a store admin understands."""


class ExchangeError(Exception):
    """Base class: the message is shown to the device (and the journal) as it is."""


class InvalidDeviceIdError(ExchangeError):
    pass


class UnknownDeviceError(ExchangeError):
    def __init__(self, device_ref: str):
        super().__init__(
            f"Оборудование с идентификатором «{device_ref}» не найдено или не использует обмен через Web-сервис"
        )
        self.device_ref = device_ref


class DeviceNotBoundError(UnknownDeviceError):
    """The device exists but the login is not bound to it: the caller is told exactly what an unknown
    device gets (it must not learn which identifiers exist); only the journal knows the difference."""


class TransferFailedError(ExchangeError):
    pass
