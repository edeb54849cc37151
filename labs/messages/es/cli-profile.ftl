# perflab profile (src/cli/profile.rs): el perfil de CPU de la tienda en marcha.

profile-bad-seconds = --seconds debe estar entre 1 y { $max }.
profile-no-shop = No hay ninguna tienda en marcha en el puerto { $port }; arráncala con perflab serve (o con el TUI) o indica su puerto con --port.
profile-unreachable = La tienda del puerto { $port } no responde a su API de control ({ $error }); quizá se detuvo: arráncala de nuevo con perflab serve.
profile-refused = La tienda rechazó el perfil ({ $status }): { $body }
profile-no-samples = En { $seconds } s no se tomó ninguna muestra, así que no hay gráfico de llamas: la CPU de la tienda estuvo ociosa. Si había tráfico, la tienda pasó ese tiempo esperando (a la base de datos, por ejemplo: mira el desglose); si no, lanza tráfico mientras se perfila (perflab bench, o la carga del TUI).
profile-write-failed = No se pudo escribir { $path }: { $error }.
profile-written = Gráfico de llamas en { $path } ({ $samples } muestras en { $seconds } s). Ábrelo en el navegador: cada caja es una función, su ancho es su tiempo de CPU.
profile-top-head = Funciones con más tiempo propio (la muestra estaba en ellas, no en las que llaman):
