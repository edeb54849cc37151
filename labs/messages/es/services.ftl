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

# Por qué no hay PostgreSQL o Redis (src/services/mod.rs, redis.rs): lo que
# imprimen doctor, serve, seed, check y la primera pantalla del TUI.
# $cause son las palabras del servidor o del sistema, tal cual.
service-pg-configured-down = PostgreSQL en { $url } (la URL configurada) no responde: { $cause }. Comprueba que el servidor está en marcha y que la URL es correcta, o quita DATABASE_URL para usar el servidor local.
service-pg-configured-refused = PostgreSQL en { $url } (la URL configurada) responde pero rechazó a perflab: { $cause }. Revisa el usuario, la contraseña y el nombre de la base de datos de la URL (`createdb` crea una base que no existe), o quita DATABASE_URL para usar el servidor local.
service-pg-refused = el servidor PostgreSQL de { $addr } rechazó a perflab (usuarios probados: { $users }): { $cause }. Dale un rol a tu usuario (`sudo -u postgres createuser --createdb { $user }`) o pon en DATABASE_URL una URL con un usuario y contraseña que puedan conectar.
service-pg-unanswered = el servidor PostgreSQL de { $addr } responde pero no dijo su versión: { $cause }.
service-pg-create-database = no se pudo crear la base de datos "{ $name }" en { $addr }: { $cause }. Créala tú (`createdb { $name }`) o pon en DATABASE_URL una base que perflab pueda usar.
service-pg-none = no hay PostgreSQL: nada responde en { $local } ({ $cause }) y { $why }. Instala el servidor (`perflab doctor --fix`) o configura DATABASE_URL.
service-pg-scratch-failed = no se pudo arrancar un clúster PostgreSQL temporal: falló { $step }: { $cause }. Configura DATABASE_URL con un servidor en marcha.
service-step-directory = crear su directorio
service-step-initdb = initdb
service-step-free-port = buscar un puerto libre
service-step-start = arrancar el servidor
service-step-create-database = crear la base de datos
service-step-version = preguntar su versión
service-no-scratch-disabled = los servidores temporales están desactivados (PERFLAB_SCRATCH=false o scratch = false)
service-no-scratch-pg-binaries = no se encontraron los programas del servidor PostgreSQL (initdb, postgres) en el PATH ni en /usr/lib/postgresql/*/bin para arrancar un clúster temporal
service-no-scratch-root = perflab se ejecuta como root, que initdb rechaza, y no existe ningún usuario `postgres` ni `nobody` con el que arrancar un clúster temporal (ejecuta perflab con un usuario normal)
service-no-scratch-redis-binary = no hay ningún redis-server en el PATH para arrancar uno temporal
service-no-scratch-redis-failed = un redis-server temporal no arrancó: { $cause }
service-redis-disabled = Redis está desactivado (PERFLAB_REDIS=off o enabled = false en [redis])
service-redis-configured-down = Redis en { $url } (la REDIS_URL configurada) no responde: { $cause }; la tienda funciona sin caché; para tener una, `perflab doctor --fix` o configura REDIS_URL
service-redis-none = nada responde en { $local } ({ $cause }) y { $why }; la tienda funciona sin caché; para tener una, `perflab doctor --fix` o configura REDIS_URL
