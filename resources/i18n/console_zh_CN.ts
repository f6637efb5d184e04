<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AlertDesk</name>
    <message>
        <source>Quarantine (%1)</source>
        <extracomment>Panel-local keys (the drone panel uses T/H/C/G/R/L in its own panel).</extracomment>
        <translation>隔离区（%1）</translation>
    </message>
    <message>
        <source>%1 %2 / p90 %3 (%4)</source>
        <translation>%1 %2 / p90 %3（%4）</translation>
    </message>
    <message>
        <source>Shift since %1: %2 alerts</source>
        <translation>本班次（%1 起）：%2 条告警</translation>
    </message>
    <message>
        <source>acknowledge</source>
        <translation>确认</translation>
    </message>
    <message>
        <source>dispatch</source>
        <translation>派出</translation>
    </message>
    <message>
        <source>on scene</source>
        <translation>到场</translation>
    </message>
    <message>
        <source>All categories</source>
        <translation>全部类别</translation>
    </message>
    <message>
        <source>All districts</source>
        <translation>全部区域</translation>
    </message>
    <message>
        <source>Dismiss alert</source>
        <translation>排除告警</translation>
    </message>
    <message>
        <source>Why is %1 dismissed?</source>
        <translation>排除 %1 的原因？</translation>
    </message>
    <message>
        <source>False alarm</source>
        <translation>误报</translation>
    </message>
    <message>
        <source>Duplicate of another alert</source>
        <translation>与其他告警重复</translation>
    </message>
    <message>
        <source>Handled by another unit</source>
        <translation>已由其他单位处置</translation>
    </message>
    <message>
        <source>Outside our responsibility</source>
        <translation>不属本中心职责</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>备注</translation>
    </message>
    <message>
        <source>Note on %1:</source>
        <translation>%1 的备注：</translation>
    </message>
    <message>
        <source>Assign</source>
        <translation>指派</translation>
    </message>
    <message>
        <source>Operator for %1 (empty: nobody):</source>
        <translation>%1 的负责人（留空：不指派）：</translation>
    </message>
    <message>
        <source>L%1</source>
        <translation>%1级</translation>
    </message>
    <message>
        <source>Sound of level-%1 alerts (click to mute or unmute)</source>
        <translation>%1 级告警提示音（点击静音/取消静音）</translation>
    </message>
    <message>
        <source>Acknowledge</source>
        <translation>确认</translation>
    </message>
    <message>
        <source>Dispatch</source>
        <translation>一键派机</translation>
    </message>
    <message>
        <source>Assign…</source>
        <translation>指派…</translation>
    </message>
    <message>
        <source>Note…</source>
        <translation>备注…</translation>
    </message>
    <message>
        <source>Dismiss…</source>
        <translation>排除…</translation>
    </message>
    <message>
        <source>Resolve</source>
        <translation>处置完成</translation>
    </message>
    <message>
        <source>Reopen</source>
        <translation>重新打开</translation>
    </message>
    <message>
        <source>Split from incident</source>
        <translation>拆分出事件</translation>
    </message>
    <message>
        <source>New</source>
        <translation>新告警</translation>
    </message>
    <message>
        <source>Acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <source>Dispatched</source>
        <translation>已派出</translation>
    </message>
    <message>
        <source>On scene</source>
        <translation>已到场</translation>
    </message>
    <message>
        <source>Resolved</source>
        <translation>已处置</translation>
    </message>
    <message>
        <source>Dismissed</source>
        <translation>已排除</translation>
    </message>
    <message>
        <source>All levels</source>
        <translation>全部级别</translation>
    </message>
    <message>
        <source>Level 1</source>
        <translation>1 级</translation>
    </message>
    <message>
        <source>Levels 1–2</source>
        <translation>1–2 级</translation>
    </message>
    <message>
        <source>Level 2</source>
        <translation>2 级</translation>
    </message>
    <message>
        <source>Level 3</source>
        <translation>3 级</translation>
    </message>
    <message>
        <source>Level 4</source>
        <translation>4 级</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>未关闭</translation>
    </message>
    <message>
        <source>All states</source>
        <translation>全部状态</translation>
    </message>
    <message>
        <source>Any time</source>
        <translation>全部时间</translation>
    </message>
    <message>
        <source>Last hour</source>
        <translation>最近 1 小时</translation>
    </message>
    <message>
        <source>Last 8 hours</source>
        <translation>最近 8 小时</translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation>最近 24 小时</translation>
    </message>
    <message>
        <source>Search id, title, place, operator, task…</source>
        <translation>搜索编号、标题、地点、负责人、任务…</translation>
    </message>
    <message>
        <source>Level</source>
        <translation>级别</translation>
    </message>
    <message>
        <source>Category</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>Title</source>
        <translation>标题</translation>
    </message>
    <message>
        <source>District</source>
        <translation>区域</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Age</source>
        <translation>已过</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Assigned</source>
        <translation>负责人</translation>
    </message>
    <message>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>%1 (shortcut %2)</source>
        <translation>%1（快捷键 %2）</translation>
    </message>
</context>
<context>
    <name>AlertFeed</name>
    <message>
        <source>battery</source>
        <translation>电量</translation>
    </message>
    <message>
        <source>weather</source>
        <translation>天气</translation>
    </message>
    <message>
        <source>offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <source>busy</source>
        <translation>执行中</translation>
    </message>
    <message>
        <source>no-fly route</source>
        <translation>航线经禁飞区</translation>
    </message>
    <message>
        <source>out of range</source>
        <translation>超出航程</translation>
    </message>
</context>
<context>
    <name>CameraSearchBox</name>
    <message>
        <source>Search cameras: id, street or district</source>
        <translation>搜索摄像头：编号、街道或区域</translation>
    </message>
</context>
<context>
    <name>Console</name>
    <message>
        <source>Demo site</source>
        <translation>演示站点</translation>
    </message>
    <message>
        <source>The demo site could not start:</source>
        <translation>演示站点无法启动：</translation>
    </message>
    <message>
        <source>Console</source>
        <translation>指挥台</translation>
    </message>
</context>
<context>
    <name>DispatchPanel</name>
    <message>
        <source>Response level %1 (alert level %2)</source>
        <translation>响应等级 %1（告警 %2 级）</translation>
    </message>
    <message>
        <source>Rule: %1</source>
        <translation>依据：%1</translation>
    </message>
    <message>
        <source>Radius %1 · %2</source>
        <translation>半径 %1 · %2</translation>
    </message>
    <message>
        <source>can go</source>
        <translation>可派出</translation>
    </message>
    <message>
        <source>No other alerts nearby</source>
        <translation>附近无其他告警</translation>
    </message>
    <message>
        <source>Dock: %1</source>
        <translation>机场：%1</translation>
    </message>
    <message>
        <source>Route: %1, time on scene %2</source>
        <translation>航线：%1，预计 %2 到场</translation>
    </message>
    <message>
        <source>Verification pattern: %1</source>
        <translation>核查方式：%1</translation>
    </message>
    <message>
        <source>Send a drone to %1?</source>
        <translation>派无人机前往 %1？</translation>
    </message>
    <message>
        <source>Checks passed:</source>
        <translation>已通过的检查：</translation>
    </message>
    <message>
        <source>Dispatch</source>
        <translation>派机</translation>
    </message>
    <message>
        <source>Dispatch requested…</source>
        <translation>已请求派机…</translation>
    </message>
    <message>
        <source>Select an alert on the desk or the map</source>
        <translation>在告警列表或地图上选择一条告警</translation>
    </message>
    <message>
        <source>1 · Response level</source>
        <translation>1 · 响应等级</translation>
    </message>
    <message>
        <source>2 · Affected area</source>
        <translation>2 · 影响范围</translation>
    </message>
    <message>
        <source>3 · Reachable docks</source>
        <translation>3 · 可达机场</translation>
    </message>
    <message>
        <source>4 · Nearby cameras and alerts</source>
        <translation>4 · 周边摄像头与告警</translation>
    </message>
    <message>
        <source>5 · Dispatch</source>
        <translation>5 · 一键派机</translation>
    </message>
    <message>
        <source>Dock</source>
        <translation>机场</translation>
    </message>
    <message>
        <source>On scene in</source>
        <translation>到场用时</translation>
    </message>
    <message>
        <source>Distance</source>
        <translation>距离</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Open on video wall</source>
        <translation>上墙查看</translation>
    </message>
    <message>
        <source>Dispatch…</source>
        <translation>一键派机…</translation>
    </message>
    <message>
        <source>Send the proposed drone; asks for confirmation</source>
        <translation>派出推荐的无人机（需确认）</translation>
    </message>
</context>
<context>
    <name>DockStatus</name>
    <message>
        <source>Ready</source>
        <extracomment>Roles beyond Qt&apos;s own: the sort key of a cell and the identity/state of its row. A battery below this is shown in the alarm colour (the dispatch reserve lives in the fleet layer). A charge trend smaller than this (%/min) is noise, shown without an arrow. The FleetRow fields each column shows: a cell is signalled as changed when one of them changes.</extracomment>
        <translation>就绪</translation>
    </message>
    <message>
        <source>Charging</source>
        <translation>充电中</translation>
    </message>
    <message>
        <source>In flight</source>
        <translation>执行中</translation>
    </message>
    <message>
        <source>Weather hold</source>
        <translation>天气限飞</translation>
    </message>
    <message>
        <source>Offline</source>
        <translation>离线</translation>
    </message>
    <message>
        <source>Fault</source>
        <translation>故障</translation>
    </message>
    <message>
        <source>Unknown</source>
        <translation>未知</translation>
    </message>
</context>
<context>
    <name>DronePanel</name>
    <message>
        <source>Drone %1 · %2</source>
        <extracomment>Altitude limits of the altitude command, metres above ground (120 m: the legal ceiling). Results and status texts kept on screen. Commands that fly the drone: they need a live link. Single-key shortcuts, active while the focus is inside the panel. Emergency stop has none on purpose: a stray key press must never stop motors in the air.</extracomment>
        <translation>无人机 %1 · %2</translation>
    </message>
    <message>
        <source>Waypoint %v/%m</source>
        <translation>航点 %v/%m</translation>
    </message>
    <message>
        <source>No mission</source>
        <translation>无航线</translation>
    </message>
    <message>
        <source>Task %1: %2</source>
        <translation>任务 %1：%2</translation>
    </message>
    <message>
        <source>No task</source>
        <translation>无任务</translation>
    </message>
    <message>
        <source>Another console holds authority: %1</source>
        <translation>指挥权在其他席位：%1</translation>
    </message>
    <message>
        <source>Take authority to command this drone</source>
        <translation>接管指挥权后才能操控该无人机</translation>
    </message>
    <message>
        <source>Emergency-stopped: re-activate the drone before any other command</source>
        <translation>已急停：须先重新激活，才能发送其他指令</translation>
    </message>
    <message>
        <source>Link lost: only the emergency stop can be sent</source>
        <translation>链路丢失：只能发送急停</translation>
    </message>
    <message>
        <source>Emergency stop</source>
        <translation>紧急停止</translation>
    </message>
    <message>
        <source>Stop the motors of drone %1 now? An airborne drone will fall.</source>
        <translation>立即停止无人机 %1 的电机？空中的无人机将坠落。</translation>
    </message>
    <message>
        <source>Re-activate</source>
        <translation>重新激活</translation>
    </message>
    <message>
        <source>Re-activate drone %1 after the emergency stop?</source>
        <translation>急停后重新激活无人机 %1？</translation>
    </message>
    <message>
        <source>Take authority</source>
        <translation>接管指挥权</translation>
    </message>
    <message>
        <source>Hold</source>
        <translation>悬停</translation>
    </message>
    <message>
        <source>Resume</source>
        <translation>继续任务</translation>
    </message>
    <message>
        <source>Go to</source>
        <translation>指点飞行</translation>
    </message>
    <message>
        <source>Altitude</source>
        <translation>改变高度</translation>
    </message>
    <message>
        <source>Return home</source>
        <translation>返航</translation>
    </message>
    <message>
        <source>Land here</source>
        <translation>原地降落</translation>
    </message>
    <message>
        <source>Abort task</source>
        <translation>中止任务</translation>
    </message>
    <message>
        <source>EMERGENCY STOP</source>
        <translation>紧急停止</translation>
    </message>
    <message>
        <source>Select a drone on the map or the fleet board</source>
        <translation>在地图或机队列表中选择一架无人机</translation>
    </message>
    <message>
        <source>%1 (shortcut %2)</source>
        <translation>%1（快捷键 %2）</translation>
    </message>
    <message>
        <source>Set</source>
        <translation>设定</translation>
    </message>
    <message>
        <source>Climb or descend to this height above ground</source>
        <translation>爬升或下降到此离地高度</translation>
    </message>
    <message>
        <source>Stops the motors at once, even in the air; asks for confirmation</source>
        <translation>立即停止电机（空中亦然），需确认</translation>
    </message>
</context>
<context>
    <name>FleetBoard</name>
    <message>
        <source>%1 %2/%3 ready</source>
        <translation>%1 就绪 %2/%3</translation>
    </message>
    <message numerus="yes">
        <source>Coverage gap: fewer ready docks than the site minimum (%n)</source>
        <translation>
            <numerusform>覆盖缺口：就绪机场少于站点最低要求（%n 个）</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Ready docks of all docks in the district; the site minimum is %n</source>
        <translation>
            <numerusform>本区就绪机场数/机场总数；站点最低要求 %n 个</numerusform>
        </translation>
    </message>
    <message>
        <source>District</source>
        <translation>区域</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>All districts</source>
        <translation>全部区域</translation>
    </message>
    <message>
        <source>All states</source>
        <translation>全部状态</translation>
    </message>
    <message>
        <source>Double-click a dock to show it on the map</source>
        <translation>双击机场，在地图上定位</translation>
    </message>
</context>
<context>
    <name>FleetTableModel</name>
    <message>
        <source>Dock</source>
        <translation>机场</translation>
    </message>
    <message>
        <source>District</source>
        <translation>区域</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Drone</source>
        <translation>无人机</translation>
    </message>
    <message>
        <source>Battery</source>
        <translation>电量</translation>
    </message>
    <message>
        <source>Link</source>
        <translation>链路</translation>
    </message>
    <message>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>Ready in</source>
        <translation>就绪倒计时</translation>
    </message>
    <message>
        <source>System id %1</source>
        <translation>系统号 %1</translation>
    </message>
</context>
<context>
    <name>HudWidget</name>
    <message>
        <source>%1, %2 sats</source>
        <extracomment>Vertical pixels per degree of pitch, relative to the horizon box height (±30° fills the box). Degrees of heading shown across the heading tape.</extracomment>
        <translation>%1，%2 颗星</translation>
    </message>
    <message>
        <source>ARMED</source>
        <translation>已解锁</translation>
    </message>
    <message>
        <source>DISARMED</source>
        <translation>已上锁</translation>
    </message>
    <message>
        <source>No GPS</source>
        <translation>无 GPS</translation>
    </message>
    <message>
        <source>No fix</source>
        <translation>未定位</translation>
    </message>
    <message>
        <source>2D</source>
        <translation>2D</translation>
    </message>
    <message>
        <source>3D</source>
        <translation>3D</translation>
    </message>
    <message>
        <source>DGPS</source>
        <translation>差分</translation>
    </message>
    <message>
        <source>RTK float</source>
        <translation>RTK 浮点</translation>
    </message>
    <message>
        <source>RTK fixed</source>
        <translation>RTK 固定</translation>
    </message>
    <message>
        <source>No drone selected</source>
        <translation>未选择无人机</translation>
    </message>
    <message>
        <source>GS %1</source>
        <translation>地速 %1</translation>
    </message>
    <message>
        <source>Mode %1</source>
        <translation>模式 %1</translation>
    </message>
    <message>
        <source>ALT %1</source>
        <translation>高度 %1</translation>
    </message>
    <message>
        <source>VS %1</source>
        <translation>升降 %1</translation>
    </message>
    <message>
        <source>GPS %1</source>
        <translation>GPS %1</translation>
    </message>
    <message>
        <source>LINK LOST</source>
        <translation>链路丢失</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>MQTT connecting…</source>
        <translation>MQTT 连接中…</translation>
    </message>
    <message>
        <source>MQTT connected</source>
        <translation>MQTT 已连接</translation>
    </message>
    <message numerus="yes">
        <source>MQTT disconnected, retry in %n s</source>
        <translation>
            <numerusform>MQTT 已断开，%n 秒后重试</numerusform>
        </translation>
    </message>
    <message>
        <source>MQTT disconnected</source>
        <translation>MQTT 已断开</translation>
    </message>
    <message>
        <source>Reason: %1</source>
        <translation>原因：%1</translation>
    </message>
    <message>
        <source>MAVLink %1/%2</source>
        <translation>MAVLink 链路 %1/%2</translation>
    </message>
    <message>
        <source>Drones with a live MAVLink link / drones in the site file</source>
        <translation>MAVLink 链路正常的无人机数 / 站点文件中的无人机数</translation>
    </message>
    <message>
        <source>Qingdao Low-Altitude Command Console</source>
        <translation>青岛低空指挥调度台</translation>
    </message>
    <message>
        <source>Map</source>
        <translation>态势地图</translation>
    </message>
    <message>
        <source>Situation map of Qingdao: docks, drones, alerts and cameras.</source>
        <translation>青岛态势地图：机场、无人机、告警与摄像头。</translation>
    </message>
    <message>
        <source>Video wall</source>
        <translation>视频墙</translation>
    </message>
    <message>
        <source>City cameras and drone feeds.</source>
        <translation>城市监控与无人机实时画面。</translation>
    </message>
    <message>
        <source>Alerts</source>
        <translation>告警</translation>
    </message>
    <message>
        <source>Incoming alerts from the city&apos;s AI and IoT platforms.</source>
        <translation>来自城市 AI 视频分析与物联感知平台的告警。</translation>
    </message>
    <message>
        <source>Fleet</source>
        <translation>机队</translation>
    </message>
    <message>
        <source>Readiness of every dock and drone.</source>
        <translation>各机场与无人机的就绪状态。</translation>
    </message>
    <message>
        <source>Task / Telemetry</source>
        <translation>任务 / 遥测</translation>
    </message>
    <message>
        <source>The selected flight task and live telemetry.</source>
        <translation>所选飞行任务与实时遥测。</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>视图(&amp;V)</translation>
    </message>
    <message>
        <source>&amp;Reset layout</source>
        <translation>恢复默认布局(&amp;R)</translation>
    </message>
    <message>
        <source>&amp;Full screen</source>
        <translation>全屏(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;Keyboard shortcuts</source>
        <translation>快捷键(&amp;K)</translation>
    </message>
    <message>
        <source>&amp;About</source>
        <translation>关于(&amp;A)</translation>
    </message>
    <message>
        <source>Site: %1</source>
        <translation>站点：%1</translation>
    </message>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>快捷键</translation>
    </message>
    <message>
        <source>About</source>
        <translation>关于</translation>
    </message>
    <message>
        <source>Drone docks, alerts and video for the city operations centre.</source>
        <translation>面向城市运行管理中心的无人机机场、告警与视频指挥。</translation>
    </message>
</context>
<context>
    <name>MapView</name>
    <message>
        <source>No-fly zones</source>
        <extracomment>The district shortcuts Ctrl+Alt+1..4, in this order.</extracomment>
        <translation>禁飞区</translation>
    </message>
    <message>
        <source>Cameras</source>
        <translation>摄像头</translation>
    </message>
    <message>
        <source>Dock coverage</source>
        <translation>机场覆盖范围</translation>
    </message>
    <message>
        <source>Docks</source>
        <translation>机场</translation>
    </message>
    <message>
        <source>Routes</source>
        <translation>航线</translation>
    </message>
    <message>
        <source>Drones</source>
        <translation>无人机</translation>
    </message>
    <message>
        <source>Alerts</source>
        <translation>告警</translation>
    </message>
    <message>
        <source>Layers</source>
        <translation>图层</translation>
    </message>
    <message>
        <source>Show district %1</source>
        <translation>显示 %1</translation>
    </message>
    <message>
        <source>Drone</source>
        <translation>无人机</translation>
    </message>
    <message>
        <source>link lost</source>
        <translation>失联</translation>
    </message>
    <message>
        <source>airborne</source>
        <translation>空中</translation>
    </message>
    <message>
        <source>on the ground</source>
        <translation>地面</translation>
    </message>
    <message>
        <source>N</source>
        <translation>北</translation>
    </message>
</context>
<context>
    <name>QuarantineDialog</name>
    <message>
        <source>Quarantined payloads</source>
        <translation>隔离的消息</translation>
    </message>
    <message>
        <source>Received</source>
        <translation>接收时间</translation>
    </message>
    <message>
        <source>Topic</source>
        <translation>主题</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Select a payload to see it as it arrived</source>
        <translation>选择一条消息，查看其原始内容</translation>
    </message>
    <message>
        <source>%1 B</source>
        <translation>%1 字节</translation>
    </message>
    <message>
        <source>%1 payloads could not be used. They are kept here, never dropped.</source>
        <translation>%1 条消息无法使用，已保存在此，不会丢弃。</translation>
    </message>
    <message>
        <source>Reason: %1</source>
        <translation>原因：%1</translation>
    </message>
    <message>
        <source>(first %1 of %2 bytes)</source>
        <translation>（前 %1 字节，共 %2 字节）</translation>
    </message>
</context>
<context>
    <name>SituationController</name>
    <message>
        <source>Click the map where the drone should fly to (Esc cancels)</source>
        <extracomment>Altitude of a go-to when the drone&apos;s own altitude is not known yet (metres above the dock).</extracomment>
        <translation>在地图上点击目标位置（Esc 取消）</translation>
    </message>
    <message>
        <source>accepted</source>
        <translation>已执行</translation>
    </message>
    <message>
        <source>failed: %1</source>
        <translation>失败：%1</translation>
    </message>
</context>
<context>
    <name>SituationFeed</name>
    <message>
        <source>planned</source>
        <extracomment>Seconds of battery history the charge trend is fitted over.</extracomment>
        <translation>已计划</translation>
    </message>
    <message>
        <source>preflight</source>
        <translation>起飞前检查</translation>
    </message>
    <message>
        <source>launching</source>
        <translation>起飞中</translation>
    </message>
    <message>
        <source>en route</source>
        <translation>飞往现场</translation>
    </message>
    <message>
        <source>on scene</source>
        <translation>到达现场</translation>
    </message>
    <message>
        <source>returning</source>
        <translation>返航中</translation>
    </message>
    <message>
        <source>landing</source>
        <translation>降落中</translation>
    </message>
    <message>
        <source>docked</source>
        <translation>已入舱</translation>
    </message>
    <message>
        <source>completed</source>
        <translation>已完成</translation>
    </message>
    <message>
        <source>aborted</source>
        <translation>已中止</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>失败</translation>
    </message>
    <message>
        <source>no link yet</source>
        <translation>未建链</translation>
    </message>
    <message>
        <source>link lost</source>
        <translation>失联</translation>
    </message>
    <message>
        <source>flying</source>
        <translation>飞行中</translation>
    </message>
    <message>
        <source>preparing</source>
        <translation>准备中</translation>
    </message>
    <message>
        <source>in dock</source>
        <translation>在舱</translation>
    </message>
    <message>
        <source>on the ground?</source>
        <translation>在地面(舱外?)</translation>
    </message>
    <message>
        <source>lost %1 s</source>
        <translation>失联 %1 秒</translation>
    </message>
    <message>
        <source>lost</source>
        <translation>失联</translation>
    </message>
    <message>
        <source>ok</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>Drone %1 (%2)</source>
        <translation>无人机 %1（%2）</translation>
    </message>
    <message>
        <source>LINK LOST</source>
        <translation>链路丢失</translation>
    </message>
</context>
<context>
    <name>TelemetryPlots</name>
    <message>
        <source>Last</source>
        <extracomment>The plots&apos; refresh period: 10 Hz (DESIGN.md section 3). Time windows offered, in minutes; the first entry that equals DEFAULT is selected. (series name of the SeriesSource, line colour).</extracomment>
        <translation>最近</translation>
    </message>
    <message numerus="yes">
        <source>%n min</source>
        <translation>
            <numerusform>%n 分钟</numerusform>
        </translation>
    </message>
    <message>
        <source>Altitude (m)</source>
        <translation>高度 (m)</translation>
    </message>
    <message>
        <source>Ground speed (m/s)</source>
        <translation>地速 (m/s)</translation>
    </message>
    <message>
        <source>Battery (%)</source>
        <translation>电量 (%)</translation>
    </message>
    <message>
        <source>Link rate (Hz)</source>
        <translation>链路速率 (Hz)</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>秒</translation>
    </message>
</context>
<context>
    <name>VideoController</name>
    <message>
        <source>camera has no live stream</source>
        <translation>该摄像头无实时视频</translation>
    </message>
    <message>
        <source>Drone %1 · %2</source>
        <translation>无人机 %1 · %2</translation>
    </message>
    <message>
        <source>the dock has no video URL</source>
        <translation>机场未配置视频地址</translation>
    </message>
    <message>
        <source>Snapshot %1</source>
        <translation>截图 %1</translation>
    </message>
</context>
<context>
    <name>VideoTile</name>
    <message>
        <source>idle</source>
        <extracomment>Alert levels 1 (most severe) .. 4, as on the map (widgets.situation.ALERT_LEVEL_COLOURS).</extracomment>
        <translation>空闲</translation>
    </message>
    <message>
        <source>connecting</source>
        <translation>连接中</translation>
    </message>
    <message>
        <source>live</source>
        <translation>直播</translation>
    </message>
    <message>
        <source>reconnecting</source>
        <translation>重连中</translation>
    </message>
    <message>
        <source>no signal</source>
        <translation>无信号</translation>
    </message>
    <message>
        <source>error</source>
        <translation>错误</translation>
    </message>
    <message>
        <source>alt %1 m</source>
        <translation>高度 %1 m</translation>
    </message>
    <message>
        <source>battery %1 %</source>
        <translation>电量 %1%</translation>
    </message>
    <message>
        <source>task %1</source>
        <translation>任务 %1</translation>
    </message>
    <message>
        <source>Drop a camera here</source>
        <translation>拖放摄像头到此</translation>
    </message>
    <message>
        <source>Pin</source>
        <translation>固定</translation>
    </message>
    <message>
        <source>Pinned tiles are never replaced by alerts or drone feeds</source>
        <translation>固定的画面不会被告警或无人机画面替换</translation>
    </message>
    <message>
        <source>no stream</source>
        <translation>无视频流</translation>
    </message>
    <message>
        <source>the stream ended</source>
        <translation>视频流已结束</translation>
    </message>
    <message>
        <source>no picture for %1 s</source>
        <translation>%1 秒无画面</translation>
    </message>
    <message>
        <source>no picture after %1 s</source>
        <translation>%1 秒后仍无画面</translation>
    </message>
</context>
<context>
    <name>VideoWall</name>
    <message>
        <source>Layout %1 (%2)</source>
        <extracomment>Layout name -&gt; cells of its tiles in a grid of at most 4×4; the first cell is the big one.</extracomment>
        <translation>布局 %1（%2）</translation>
    </message>
    <message>
        <source>Recall a preset</source>
        <translation>调用预案</translation>
    </message>
    <message>
        <source>Save preset</source>
        <translation>保存预案</translation>
    </message>
    <message>
        <source>Snapshot</source>
        <translation>截图</translation>
    </message>
    <message>
        <source>Detach</source>
        <translation>分离</translation>
    </message>
    <message>
        <source>The video wall is on its own screen.</source>
        <translation>视频墙已在独立屏幕上显示。</translation>
    </message>
    <message>
        <source>Bring it back</source>
        <translation>收回</translation>
    </message>
    <message>
        <source>Preset name:</source>
        <translation>预案名称：</translation>
    </message>
    <message>
        <source>Presets…</source>
        <translation>预案…</translation>
    </message>
    <message>
        <source>Video wall</source>
        <translation>视频墙</translation>
    </message>
    <message>
        <source>Attach</source>
        <translation>收回</translation>
    </message>
</context>
</TS>
