# La primera pantalla de la TUI cuando a este equipo le falta PostgreSQL, su
# extensión pg_trgm o Redis (src/tui/ui/setup.rs, src/tui/mod.rs): qué falta,
# las órdenes exactas que lo instalan con el gestor de paquetes, y la pregunta.
# Variables: $missing nombra lo que falta (PostgreSQL, pg_trgm, Redis),
# $manager el programa del gestor (apt-get, dnf, brew), $error por qué no se
# pudo (un mensaje de services.ftl).

tui-setup-title = Lo que falta
tui-setup-missing = A este equipo le falta { $missing } para el curso.
tui-setup-plan = perflab puede instalarlo con { $manager }. Ejecutará estas órdenes:
tui-setup-handover = Mientras se ejecutan, la terminal es de { $manager }: verás lo que hace. Después perflab vuelve aquí y arranca PostgreSQL y Redis.
tui-setup-sudo = sudo puede pedirte tu contraseña.
tui-setup-ask = ¿Lo instalo? [s/N]
tui-setup-declined = No se ha instalado nada.
tui-setup-failed = La instalación no terminó: { $error }
tui-setup-by-hand = Para instalarlo: s desde aquí, o `perflab doctor --fix` en otra terminal (o las órdenes de arriba a mano) y vuelve a abrir perflab.

tui-setup-keys-ask = s instalar · n no instalar · Tab pantallas · q salir
tui-setup-keys-again = s instalar ahora · Tab pantallas · q salir
tui-setup-keys-none = Tab pantallas · q salir

tui-setup-status-ask = Falta { $missing }: perflab puede instalarlo.
tui-setup-status-no-postgres = Sin PostgreSQL la tienda no puede arrancar: instálalo y vuelve a abrir perflab.
tui-setup-status-installed = Instalado. Arrancando PostgreSQL y Redis…

# Escritos en la terminal durante la instalación, con la TUI apartada.
tui-install-start = perflab instala { $missing } con { $manager }. Ctrl-C lo interrumpe.
tui-install-press-enter = Pulsa Enter para volver a perflab.
