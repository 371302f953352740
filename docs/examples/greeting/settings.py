from iop import Production

from components import GreeterProcess, GreetService, TitleOperation

production = Production("demo.Greetings", testing_enabled=True)
production.service("Front", GreetService)
production.process("Greeter", GreeterProcess).host_setting("%settings", "greeting=Hello")
production.operation("Titles", TitleOperation)

PRODUCTIONS = [production]
