# El panel del desglose por partes (src/tui/ui/dashboard.rs, laboratorio 4.2).

tui-dashboard-breakdown = Desglose por partes (ms por petición; la parte que domina)
tui-dashboard-breakdown-empty = Todavía no hay peticiones en el desglose.
tui-dashboard-breakdown-off = El desglose está apagado: enciende monitoring.breakdown.

tui-dashboard-profile-waiting = Perfil de CPU: se está tomando el primero (3 s bajo la carga).
tui-dashboard-profile-idle = Perfil de CPU ({ $seconds } s): nada estaba en la CPU. ¿Está en marcha la carga?
tui-dashboard-profile = Dónde estaba la CPU ({ $seconds } s, { $samples } muestras; gráfico: perflab profile):
