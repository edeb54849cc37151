# Mensajes de `perflab doctor` y `perflab doctor --fix` (src/cli/doctor.rs,
# src/services/install.rs). Variables: $missing nombra lo que falta
# (PostgreSQL, pg_trgm, Redis), $manager el programa del gestor de paquetes
# (apt-get, dnf, brew), $command una orden, $status cómo terminó.

doctor-can-run = La tienda puede arrancar.
doctor-cannot-run = La tienda no puede arrancar hasta que haya PostgreSQL (mira arriba).

doctor-label-where = dónde
doctor-label-reachable = responde
doctor-label-version = versión
doctor-label-database = base
doctor-label-problem = problema
doctor-label-why = por qué

doctor-yes = sí
doctor-no = no
doctor-origin-configured = URL configurada
doctor-origin-local = servidor local por defecto
doctor-origin-scratch = servidor temporal
doctor-database-created = "{ $name }" (se crea allí la primera vez si falta)
doctor-postgres-would-start = nada responde en { $local }; perflab arrancaría un clúster temporal propio desde { $from }
doctor-postgres-would-start-as = nada responde en { $local }; perflab arrancaría un clúster temporal propio desde { $from }, como el usuario { $user }
doctor-postgres-not-yet = todavía no (se arranca al usarlo y se borra al salir)
doctor-pg-trgm-available = disponible
doctor-pg-trgm-missing = FALTA: el laboratorio 2.2 la necesita; instala el paquete { $package } (o ejecuta perflab doctor --fix) y reinicia PostgreSQL
doctor-pg-trgm-unknown = no se sabe hasta que arranque el servidor
doctor-redis-would-start = nada responde en { $local }; perflab arrancaría un { $binary } temporal
doctor-redis-not-yet = todavía no (se arranca al usarlo y se para al salir)
doctor-redis-missing = no: la tienda funcionará sin caché

doctor-fix-nothing = Nada que instalar: PostgreSQL, pg_trgm y Redis ya están.
doctor-fix-plan = Falta: { $missing }. perflab ejecutará, con { $manager }:
doctor-fix-ask = ¿Ejecuto estas órdenes? [s/N]
# Las respuestas que significan sí, separadas por espacios; cualquier otra es no.
doctor-fix-yes-words = s si sí y yes
doctor-fix-declined = no se instaló nada (respondiste que no).
doctor-fix-refused = doctor --fix instalaría { $missing } con { $manager } pero no hay terminal para preguntar: ejecuta `perflab doctor --fix --yes` para instalar sin preguntar.
doctor-fix-already-done = ({ $status }: `{ $program }` ya estaba hecho; sigo)
doctor-fix-installed = Instalado. Vuelvo a mirar:

install-no-manager = perflab no conoce ningún gestor de paquetes en este sistema (apt-get, dnf o brew): instala PostgreSQL y Redis a mano (README.md, "Install by hand").
install-brew-as-root = Homebrew no funciona como root: ejecuta `perflab doctor --fix` con tu propio usuario.
install-no-sudo = para instalar hace falta root y sudo no está instalado: ejecuta `perflab doctor --fix` como root.
install-cannot-run = `{ $command }` no pudo ejecutarse: { $cause }.
install-step-failed = `{ $command }` falló ({ $status }): corrige lo que dice arriba y vuelve a ejecutar `perflab doctor --fix`.
