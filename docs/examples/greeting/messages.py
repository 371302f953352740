from dataclasses import dataclass

from iop import Message


@dataclass
class GreetRequest(Message):
    name: str = ""


@dataclass
class GreetResponse(Message):
    text: str = ""


@dataclass
class TitleRequest(Message):
    name: str = ""


@dataclass
class TitleResponse(Message):
    title: str = ""
