<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>AlertController</name>
    <message>
        <source>Task %1: its drone is not known to this console</source>
        <extracomment>GUI time one hand-over may take before it lets the event loop run (a burst of 2,000 alerts a second is handed over in slices, so the screen never freezes), and the rows per slice.</extracomment>
        <translation>任务 %1：本席位不掌握其无人机</translation>
    </message>
</context>
<context>
    <name>AlertDesk</name>
    <message>
        <source>Quarantine (%1)</source>
        <extracomment>Panel-local keys (the drone panel uses T/H/C/G/R/L in its own panel). The power each action needs (console/core/roles.py, OP_POWER): the workflow is an operator&apos;s, a dispatch a dispatcher&apos;s.</extracomment>
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
        <source>L%1</source>
        <translation>%1级</translation>
    </message>
</context>
<context>
    <name>AuditController</name>
    <message>
        <source>Automatic dispatch</source>
        <translation>自动派机</translation>
    </message>
    <message>
        <source>&amp;Supervisor</source>
        <translation>值班长(&amp;S)</translation>
    </message>
    <message>
        <source>Audit trail</source>
        <translation>审计日志</translation>
    </message>
    <message>
        <source>Audit trail…</source>
        <translation>审计日志…</translation>
    </message>
    <message>
        <source>History of the selected alert</source>
        <translation>所选告警的历史</translation>
    </message>
    <message>
        <source>History of the selected drone&apos;s task</source>
        <translation>所选无人机任务的历史</translation>
    </message>
    <message>
        <source>Automatic dispatch by the site&apos;s rules</source>
        <translation>按站点规则自动派机</translation>
    </message>
</context>
<context>
    <name>AuditPanel</name>
    <message>
        <source>Sign-in and sign-out</source>
        <translation>登录与退出</translation>
    </message>
    <message>
        <source>Drone commands</source>
        <translation>无人机指令</translation>
    </message>
    <message>
        <source>Automation</source>
        <translation>自动化</translation>
    </message>
    <message>
        <source>Requests</source>
        <extracomment>Kinds of audit entry the site server writes (drones/audit.py AuditKind) and their names; the console may give another list with `set_kinds`.</extracomment>
        <translation>请求</translation>
    </message>
    <message>
        <source>State changes</source>
        <translation>状态变化</translation>
    </message>
    <message>
        <source>The start of the time range is after its end.</source>
        <extracomment>Time presets: (key, seconds back from now or None); &quot;today&quot; starts at local midnight; &quot;custom&quot; keeps the edits. The row keys `set_rows` reads, and the CSV&apos;s columns after the time (the target split into its parts).</extracomment>
        <translation>时间范围的开始晚于结束。</translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation>正在查询…</translation>
    </message>
    <message numerus="yes">
        <source>%n row(s)</source>
        <translation>
            <numerusform>%n 条记录</numerusform>
        </translation>
    </message>
    <message>
        <source>drone %1</source>
        <translation>无人机 %1</translation>
    </message>
    <message>
        <source>Export audit trail</source>
        <translation>导出审计记录</translation>
    </message>
    <message>
        <source>CSV files (*.csv)</source>
        <translation>CSV 文件 (*.csv)</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>角色</translation>
    </message>
    <message>
        <source>Console</source>
        <translation>席位</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>类别</translation>
    </message>
    <message>
        <source>What</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Drone</source>
        <translation>无人机</translation>
    </message>
    <message>
        <source>Dock</source>
        <translation>机场</translation>
    </message>
    <message>
        <source>Alert</source>
        <translation>警情</translation>
    </message>
    <message>
        <source>Task</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>Result</source>
        <translation>结果</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>原因</translation>
    </message>
    <message>
        <source>Export failed: %1</source>
        <translation>导出失败：%1</translation>
    </message>
    <message numerus="yes">
        <source>%n row(s) exported to %1</source>
        <translation>
            <numerusform>已导出 %n 条记录到 %1</numerusform>
        </translation>
    </message>
    <message>
        <source>All kinds</source>
        <translation>全部类别</translation>
    </message>
    <message>
        <source>Person</source>
        <translation>人员</translation>
    </message>
    <message>
        <source>to</source>
        <translation>至</translation>
    </message>
    <message>
        <source>user name</source>
        <translation>用户名</translation>
    </message>
    <message>
        <source>sysid</source>
        <translation>无人机编号</translation>
    </message>
    <message>
        <source>alert id</source>
        <translation>警情编号</translation>
    </message>
    <message>
        <source>task id</source>
        <translation>任务编号</translation>
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
        <source>Today</source>
        <translation>今天</translation>
    </message>
    <message>
        <source>Last 24 hours</source>
        <translation>最近 24 小时</translation>
    </message>
    <message>
        <source>Last 7 days</source>
        <translation>最近 7 天</translation>
    </message>
    <message>
        <source>Custom range</source>
        <translation>自定义时间段</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>查询</translation>
    </message>
    <message>
        <source>Search the audit trail (Enter)</source>
        <translation>查询审计记录（回车）</translation>
    </message>
    <message>
        <source>Export CSV…</source>
        <translation>导出 CSV…</translation>
    </message>
    <message>
        <source>Write the rows shown, in the order shown, to a CSV file</source>
        <translation>按当前显示的顺序，把显示的记录写入 CSV 文件</translation>
    </message>
    <message>
        <source>Target</source>
        <translation>对象</translation>
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
    <name>CommandLog</name>
    <message>
        <source>refused: %1</source>
        <extracomment>Outcomes kept per drone (the newest first); older ones stay in the journal. Lines of text the list shows before it scrolls.</extracomment>
        <translation>被拒绝：%1</translation>
    </message>
    <message>
        <source>executed</source>
        <translation>已执行</translation>
    </message>
    <message>
        <source>refused</source>
        <translation>被拒绝</translation>
    </message>
    <message>
        <source>%1 %2: %3</source>
        <translation>%1 %2：%3</translation>
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
        <source>Sign in</source>
        <translation>登录</translation>
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
        <source>Warnings:</source>
        <translation>注意：</translation>
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
        <source>History of this alert…</source>
        <translation>本告警的历史…</translation>
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
    <name>DronePanel</name>
    <message>
        <source>%1 s</source>
        <extracomment>Altitude limits of the altitude command, metres above ground (120 m: the legal ceiling). A low panel narrower than this shows the plots below its display and commands, not as a third column. A low panel narrower than this stacks its commands above the display: side by side they would be cut off. Status texts kept on screen. Commands that fly the drone: they need a live link. Single-key shortcuts, active while the focus is inside the panel. Emergency stop has none on purpose: a stray key press must never stop motors in the air. Commands that change what a flying drone does from one press: they ask first, &quot;keep flying&quot; the default. The authority commands, on the authority line rather than in the command grid. The power each command needs (console/core/roles.py, OP_POWER): forcing authority and re-activating after an emergency stop are a supervisor&apos;s; everything else a dispatcher&apos;s.</extracomment>
        <translation>%1 秒</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 分钟</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 小时 %2 分</translation>
    </message>
    <message>
        <source>Drone %1 · %2</source>
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
        <source>Command authority: nobody</source>
        <translation>指挥权：无人持有</translation>
    </message>
    <message>
        <source>Command authority: this console (%1), for %2</source>
        <translation>指挥权：本席位（%1），已持有 %2</translation>
    </message>
    <message>
        <source>Command authority: %1 at console %2, for %3</source>
        <translation>指挥权：席位 %2 的 %1，已持有 %3</translation>
    </message>
    <message>
        <source>(console offline since %1)</source>
        <translation>（该席位自 %1 起离线）</translation>
    </message>
    <message>
        <source>Emergency-stopped: a supervisor must re-activate the drone</source>
        <translation>已紧急停止：须由值班长重新激活无人机</translation>
    </message>
    <message>
        <source>Take command authority first (T)</source>
        <translation>请先接管指挥权（T）</translation>
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
        <source>not possible now</source>
        <translation>当前无法执行</translation>
    </message>
    <message>
        <source>%1 not sent: %2</source>
        <translation>%1 未发送：%2</translation>
    </message>
    <message>
        <source>Emergency stop</source>
        <translation>紧急停止</translation>
    </message>
    <message>
        <source>Stop drone %1 where it is (brake and hover) and lock it against every other command until it is re-activated?</source>
        <translation>让无人机 %1 原地刹停悬停，并锁定其他一切指令，直至解除锁定？</translation>
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
        <source>drone %1 (%2)</source>
        <translation>无人机 %1（%2）</translation>
    </message>
    <message>
        <source>Fly %1 to %2 now? It leaves its mission and waits there.</source>
        <translation>现在让%1飞往 %2？它将离开航线任务并在该点悬停等待。</translation>
    </message>
    <message>
        <source>Send %1 home to its dock now? Its task&apos;s work on scene ends.</source>
        <translation>现在让%1返回机场？其任务的现场作业将结束。</translation>
    </message>
    <message>
        <source>Land %1 where it is now, away from its dock?</source>
        <translation>让%1在当前位置降落（不在机场内）？</translation>
    </message>
    <message>
        <source>Abort the task of %1 now? The drone returns to its dock.</source>
        <translation>现在中止%1的任务？无人机将返回机场。</translation>
    </message>
    <message>
        <source>Keep flying</source>
        <translation>继续飞行</translation>
    </message>
    <message>
        <source>Take over authority</source>
        <translation>接管指挥权</translation>
    </message>
    <message>
        <source>%1

Take command authority from that console now? Its operator can no longer command this drone; the take-over is journaled under your name.</source>
        <translation>%1

现在从该席位接管指挥权？其操作员将不能再指挥这架无人机；本次接管将以您的名义记入日志。</translation>
    </message>
    <message>
        <source>Yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>No</source>
        <translation>否</translation>
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
        <source>Force take (supervisor)</source>
        <translation>强制接管（值班长）</translation>
    </message>
    <message>
        <source>Release authority</source>
        <translation>释放指挥权</translation>
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
        <source>Task history…</source>
        <translation>任务历史…</translation>
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
        <source>Brakes and hovers at once, then locks every other command until re-activated; asks for confirmation</source>
        <translation>立即刹停悬停，并锁定其他一切指令直至解除锁定；执行前需确认</translation>
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
        <extracomment>Roles beyond Qt&apos;s own: the sort key of a cell and the identity/state of its row. A battery below this is shown in the alarm colour (the dispatch reserve lives in the fleet layer). A charge trend smaller than this (%/min) is noise, shown without an arrow. The FleetRow fields each column shows: a cell is signalled as changed when one of them changes.</extracomment>
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
    <name>FlightMode</name>
    <message>
        <source>unknown</source>
        <extracomment>The autopilot&apos;s flight modes (MAVSDK&apos;s FlightMode names) as the operator reads them.</extracomment>
        <translation>未知</translation>
    </message>
    <message>
        <source>Ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <source>Takeoff</source>
        <translation>起飞</translation>
    </message>
    <message>
        <source>Hold</source>
        <translation>悬停</translation>
    </message>
    <message>
        <source>Mission</source>
        <translation>任务</translation>
    </message>
    <message>
        <source>Return</source>
        <translation>返航</translation>
    </message>
    <message>
        <source>Land</source>
        <translation>降落</translation>
    </message>
    <message>
        <source>Offboard</source>
        <translation>外部控制</translation>
    </message>
    <message>
        <source>Follow me</source>
        <translation>跟随</translation>
    </message>
    <message>
        <source>Manual</source>
        <translation>手动</translation>
    </message>
    <message>
        <source>Altitude</source>
        <translation>定高</translation>
    </message>
    <message>
        <source>Position</source>
        <translation>定点</translation>
    </message>
    <message>
        <source>Acro</source>
        <translation>特技</translation>
    </message>
    <message>
        <source>Stabilized</source>
        <translation>自稳</translation>
    </message>
    <message>
        <source>Rattitude</source>
        <translation>半自稳</translation>
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
    <name>IdentityBadge</name>
    <message>
        <source>Not signed in</source>
        <translation>未登录</translation>
    </message>
    <message>
        <source>%1 · %2</source>
        <translation>%1 · %2</translation>
    </message>
    <message>
        <source>demo</source>
        <translation>演示</translation>
    </message>
    <message>
        <source>Signed in as %1 (%2): click to lock the screen, switch user or sign out</source>
        <translation>已登录：%1（%2）。点击可锁屏、切换用户或退出登录</translation>
    </message>
    <message>
        <source>Nobody is signed in</source>
        <translation>无人登录</translation>
    </message>
</context>
<context>
    <name>IdentityController</name>
    <message>
        <source>This account was disabled or its password changed: switch user.</source>
        <extracomment>The longest a console makes a person wait after wrong passwords. What counts as the operator being there (the idle clock starts again).</extracomment>
        <translation>该账号已停用或密码已更改：请切换用户。</translation>
    </message>
    <message>
        <source>open site, no sign-in</source>
        <translation>开放站点，无需登录</translation>
    </message>
    <message>
        <source>not signed in</source>
        <translation>未登录</translation>
    </message>
    <message>
        <source>The site&apos;s broker cannot be reached:</source>
        <translation>无法连接站点的消息服务器：</translation>
    </message>
    <message>
        <source>Wrong password: wait %1 s before the next try.</source>
        <translation>密码错误：请等待 %1 秒后再试。</translation>
    </message>
    <message>
        <source>Nobody is signed in: switch user.</source>
        <translation>当前无人登录：请切换用户。</translation>
    </message>
    <message>
        <source>Lock screen (Ctrl+L)</source>
        <translation>锁定屏幕 (Ctrl+L)</translation>
    </message>
    <message>
        <source>Switch user</source>
        <translation>切换用户</translation>
    </message>
    <message>
        <source>Sign out</source>
        <translation>退出登录</translation>
    </message>
    <message>
        <source>Lock screen</source>
        <translation>锁定屏幕</translation>
    </message>
    <message>
        <source>Wrong user name or password, or the account is disabled.</source>
        <translation>用户名或密码错误，或账号已停用。</translation>
    </message>
</context>
<context>
    <name>Level1Strip</name>
    <message numerus="yes">
        <source>+%n more</source>
        <translation>
            <numerusform>另有 %n 条</numerusform>
        </translation>
    </message>
</context>
<context>
    <name>LockScreen</name>
    <message>
        <source>Screen locked</source>
        <extracomment>The cover&apos;s colour: the theme&apos;s darkest surface, fully opaque.</extracomment>
        <translation>屏幕已锁定</translation>
    </message>
    <message>
        <source>Signed in: %1 (%2)</source>
        <translation>当前登录：%1（%2）</translation>
    </message>
    <message>
        <source>Locked since %1</source>
        <translation>锁定时间：%1</translation>
    </message>
    <message>
        <source>Password to unlock</source>
        <translation>输入密码解锁</translation>
    </message>
    <message>
        <source>Unlock</source>
        <translation>解锁</translation>
    </message>
    <message>
        <source>Unlock (Enter)</source>
        <translation>解锁（回车）</translation>
    </message>
    <message>
        <source>Switch user</source>
        <translation>切换用户</translation>
    </message>
    <message>
        <source>Sign this person out and sign in as someone else</source>
        <translation>退出当前用户，换其他人登录</translation>
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
        <source>No site server has answered (waiting since %1): commands are disabled</source>
        <translation>尚无站点服务器应答（自 %1 起等待）：命令不可用</translation>
    </message>
    <message>
        <source>Site server %1 lost at %2: commands are disabled; the screen shows the last known state</source>
        <translation>站点服务器 %1 于 %2 失联：命令不可用；画面为最后已知状态</translation>
    </message>
    <message>
        <source>Server %1</source>
        <translation>服务器 %1</translation>
    </message>
    <message>
        <source>The site server that runs the drones, docks, tasks and alerts</source>
        <translation>运行无人机、机场、任务和告警的站点服务器</translation>
    </message>
    <message>
        <source>No site server</source>
        <translation>无站点服务器</translation>
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
        <source>Everywhere</source>
        <translation>全局</translation>
    </message>
    <message>
        <source>About</source>
        <translation>关于</translation>
    </message>
    <message>
        <source>Drone docks, alerts and video for the city operations centre.</source>
        <translation>面向城市运行管理中心的无人机机场、告警与视频指挥。</translation>
    </message>
    <message>
        <source>Quit the console?</source>
        <translation>退出控制台？</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>Keep the console running</source>
        <translation>继续运行控制台</translation>
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
        <source>Arrow keys</source>
        <translation>方向键</translation>
    </message>
    <message>
        <source>Pan the map</source>
        <translation>平移地图</translation>
    </message>
    <message>
        <source>Zoom in</source>
        <translation>放大</translation>
    </message>
    <message>
        <source>Zoom out</source>
        <translation>缩小</translation>
    </message>
    <message>
        <source>Show the whole city</source>
        <translation>显示全市</translation>
    </message>
    <message>
        <source>Clear the selection, or cancel picking a point</source>
        <translation>取消选择，或取消选点</translation>
    </message>
    <message>
        <source>N</source>
        <translation>北</translation>
    </message>
</context>
<context>
    <name>Powers</name>
    <message>
        <source>Needs the %1 role (you are: %2)</source>
        <translation>需要%1权限（当前角色：%2）</translation>
    </message>
</context>
<context>
    <name>ProposalBanner</name>
    <message>
        <source>Show its cameras</source>
        <translation>显示其摄像头</translation>
    </message>
    <message>
        <source>Not now</source>
        <translation>暂不</translation>
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
        <source>No quarantined payloads: every message received could be used.</source>
        <translation>没有隔离的消息：收到的每条消息都可以使用。</translation>
    </message>
    <message>
        <source>The quarantine is empty.</source>
        <translation>隔离区为空。</translation>
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
    <name>QuitGuard</name>
    <message numerus="yes">
        <source>This console has %n drone(s) in the air</source>
        <translation>
            <numerusform>本控制台有 %n 架无人机在空中</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%n open task(s)</source>
        <translation>
            <numerusform>%n 个未结束任务</numerusform>
        </translation>
    </message>
    <message>
        <source>Drone %1</source>
        <translation>无人机 %1</translation>
    </message>
    <message numerus="yes">
        <source>and %n more</source>
        <translation>
            <numerusform>另有 %n 个</numerusform>
        </translation>
    </message>
    <message>
        <source>If you quit:</source>
        <translation>如果退出：</translation>
    </message>
    <message>
        <source>The drones in the air keep flying their missions and return to their docks on their own; they need no console to get home.</source>
        <translation>空中的无人机继续执行各自的航线任务，并自行返回机场；返航不需要控制台。</translation>
    </message>
    <message>
        <source>Nobody can command them from this console until it runs again. It keeps their command authority; other consoles see it offline and can take over after confirming.</source>
        <translation>在本控制台重新运行之前，无法从本控制台指挥它们。本控制台保留其指挥权；其他控制台会看到本控制台离线，确认后可接管。</translation>
    </message>
    <message numerus="yes">
        <source>%n task(s) that have not taken off will not fly: started again, this console ends them as aborted.</source>
        <translation>
            <numerusform>%n 个尚未起飞的任务不会起飞：本控制台再次启动时将其结束为已中止。</numerusform>
        </translation>
    </message>
    <message>
        <source>The open tasks stay in this console&apos;s journal; started again, it follows them on. Alerts that arrive meanwhile wait in the broker for it.</source>
        <translation>未结束的任务保留在本控制台的日志中；再次启动后会继续跟踪。期间到达的告警在消息服务器中等待本控制台。</translation>
    </message>
    <message>
        <source>Quit anyway?</source>
        <translation>仍然退出？</translation>
    </message>
</context>
<context>
    <name>Reason</name>
    <message>
        <source>planned</source>
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
        <translation>已到场</translation>
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
        <source>new</source>
        <translation>新告警</translation>
    </message>
    <message>
        <source>acknowledged</source>
        <translation>已确认</translation>
    </message>
    <message>
        <source>dispatched</source>
        <translation>已派出</translation>
    </message>
    <message>
        <source>resolved</source>
        <translation>已处置</translation>
    </message>
    <message>
        <source>dismissed</source>
        <translation>已排除</translation>
    </message>
    <message>
        <source>Ready</source>
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
    <message>
        <source>no link yet</source>
        <translation>未建链</translation>
    </message>
    <message>
        <source>ok</source>
        <translation>正常</translation>
    </message>
    <message>
        <source>link lost</source>
        <translation>失联</translation>
    </message>
    <message>
        <source>Shinan</source>
        <translation>市南区</translation>
    </message>
    <message>
        <source>Shibei</source>
        <translation>市北区</translation>
    </message>
    <message>
        <source>Licang</source>
        <translation>李沧区</translation>
    </message>
    <message>
        <source>Laoshan</source>
        <translation>崂山区</translation>
    </message>
    <message>
        <source>{first}; {second}</source>
        <translation>{first}；{second}</translation>
    </message>
    <message>
        <source>Illegal parking</source>
        <translation>违章停车</translation>
    </message>
    <message>
        <source>Exposed garbage</source>
        <translation>暴露垃圾</translation>
    </message>
    <message>
        <source>Road damage</source>
        <translation>道路破损</translation>
    </message>
    <message>
        <source>Uncovered muck truck</source>
        <translation>渣土车未密闭</translation>
    </message>
    <message>
        <source>Crowding</source>
        <translation>人员聚集</translation>
    </message>
    <message>
        <source>Waterlogging</source>
        <translation>道路积水</translation>
    </message>
    <message>
        <source>Fallen tree</source>
        <translation>树木倒伏</translation>
    </message>
    <message>
        <source>Gas leak</source>
        <translation>燃气泄漏报警</translation>
    </message>
    <message>
        <source>Drone intrusion</source>
        <translation>无人机闯入</translation>
    </message>
    <message>
        <source>Forest fire smoke</source>
        <translation>林区烟火</translation>
    </message>
    <message>
        <source>Illegal fishing</source>
        <translation>非法捕捞</translation>
    </message>
    <message>
        <source>Sea rescue</source>
        <translation>海上遇险求救</translation>
    </message>
    <message>
        <source>unknown category: {category}</source>
        <translation>未知类别：{category}</translation>
    </message>
    <message>
        <source>the payload is not bytes</source>
        <translation>消息内容不是字节串</translation>
    </message>
    <message>
        <source>oversized: {size} bytes, the limit is {limit}</source>
        <translation>消息过大：{size} 字节，上限 {limit} 字节</translation>
    </message>
    <message>
        <source>not UTF-8 (at byte {at})</source>
        <translation>不是 UTF-8 编码（第 {at} 字节）</translation>
    </message>
    <message>
        <source>not valid JSON (line {line}, column {column}: {problem})</source>
        <translation>不是有效的 JSON（第 {line} 行第 {column} 列：{problem}）</translation>
    </message>
    <message>
        <source>not valid JSON (nested too deep)</source>
        <translation>不是有效的 JSON（嵌套过深）</translation>
    </message>
    <message>
        <source>the JSON is a {kind}, not an object</source>
        <translation>JSON 不是对象（是 {kind}）</translation>
    </message>
    <message>
        <source>cannot be read: {error}</source>
        <translation>无法解析：{error}</translation>
    </message>
    <message>
        <source>missing field {field}</source>
        <translation>缺少字段 {field}</translation>
    </message>
    <message>
        <source>{field} must be a number, got {value}</source>
        <translation>字段 {field} 应为数字，实为 {value}</translation>
    </message>
    <message>
        <source>{field} is not a finite number</source>
        <translation>字段 {field} 不是有限数值</translation>
    </message>
    <message>
        <source>{field} must be text, got {value}</source>
        <translation>字段 {field} 应为文本，实为 {value}</translation>
    </message>
    <message>
        <source>{field} is too long ({length} characters)</source>
        <translation>字段 {field} 过长（{length} 字符）</translation>
    </message>
    <message>
        <source>no alert id</source>
        <translation>缺少告警编号 id</translation>
    </message>
    <message>
        <source>id must be text, got {value}</source>
        <translation>告警编号 id 应为文本，实为 {value}</translation>
    </message>
    <message>
        <source>id is too long or has control characters</source>
        <translation>告警编号 id 过长或含控制字符</translation>
    </message>
    <message>
        <source>level must be an integer 1-4, got {value}</source>
        <translation>等级 level 应为 1–4 的整数，实为 {value}</translation>
    </message>
    <message>
        <source>level {level} is outside 1-4</source>
        <translation>等级 level {level} 不在 1–4 之间</translation>
    </message>
    <message>
        <source>latitude {lat} is outside -90..90 (lat and lon swapped?)</source>
        <translation>纬度 {lat} 超出 −90..90（经纬度是否写反？）</translation>
    </message>
    <message>
        <source>longitude {lon} is outside -180..180</source>
        <translation>经度 {lon} 超出 −180..180</translation>
    </message>
    <message>
        <source>status must be active or cleared, got {value}</source>
        <translation>状态 status 应为 active 或 cleared，实为 {value}</translation>
    </message>
    <message>
        <source>ts is not an ISO-8601 time: {value}</source>
        <translation>时间 ts 不是 ISO-8601 时间：{value}</translation>
    </message>
    <message>
        <source>source must be an object, got {value}</source>
        <translation>来源 source 应为对象，实为 {value}</translation>
    </message>
    <message>
        <source>confidence {value} is outside 0-1</source>
        <translation>置信度 {value} 不在 0–1 之间</translation>
    </message>
    <message>
        <source>the console could not handle this payload ({error}); kept here so it is not lost</source>
        <translation>控制台无法处理此消息（{error}），已保留以免丢失</translation>
    </message>
    <message>
        <source>the state&apos;s alert_id does not match its topic</source>
        <translation>状态消息的 alert_id 与主题不符</translation>
    </message>
    <message>
        <source>unknown workflow state {state}</source>
        <translation>未知处置状态 {state}</translation>
    </message>
    <message>
        <source>the state has no by or console</source>
        <translation>状态消息缺少 by 或 console</translation>
    </message>
    <message>
        <source>task_id must be text</source>
        <translation>task_id 应为文本</translation>
    </message>
    <message>
        <source>the state&apos;s ts is not a time</source>
        <translation>状态消息的 ts 不是时间</translation>
    </message>
    <message>
        <source>not a JSON object ({problem})</source>
        <translation>不是 JSON 对象（{problem}）</translation>
    </message>
    <message>
        <source>a dispatch request needs alert_id and requested_by as text</source>
        <translation>派出请求需要 alert_id 和 requested_by 文本</translation>
    </message>
    <message>
        <source>dock_id must be the id of a dock of this site, got {value}</source>
        <translation>dock_id 应为本站点机场编号，实为 {value}</translation>
    </message>
    <message>
        <source>alert {alert_id} is {state}; it cannot become {to}</source>
        <translation>告警 {alert_id} {state}，不能改为{to}</translation>
    </message>
    <message>
        <source>unknown alert {alert_id}</source>
        <translation>未知告警 {alert_id}</translation>
    </message>
    <message>
        <source>alert {alert_id} is not closed</source>
        <translation>告警 {alert_id} 未关闭，无需重开</translation>
    </message>
    <message>
        <source>this console cannot dispatch</source>
        <translation>本控制台未接入派出功能</translation>
    </message>
    <message>
        <source>alert {alert_id} is being dispatched</source>
        <translation>告警 {alert_id} 正在派出</translation>
    </message>
    <message>
        <source>dispatch failed: {error}</source>
        <translation>派出失败：{error}</translation>
    </message>
    <message>
        <source>the plan was made for alert {plan_alert}, not {alert_id}</source>
        <translation>该派出方案属于告警 {plan_alert}，不是 {alert_id}</translation>
    </message>
    <message>
        <source>the alert&apos;s own level {level}</source>
        <translation>按告警等级 {level} 级</translation>
    </message>
    <message>
        <source>{category}: radius {radius_m:g} m</source>
        <translation>{category}：半径 {radius_m:g} m</translation>
    </message>
    <message>
        <source>default radius {radius_m:g} m</source>
        <translation>默认半径 {radius_m:g} m</translation>
    </message>
    <message>
        <source>no dock can go (nearest: {why})</source>
        <translation>没有可派出的机场（最近的：{why}）</translation>
    </message>
    <message>
        <source>the site has no docks</source>
        <translation>站点没有机场</translation>
    </message>
    <message>
        <source>dock {dock} is not on this site</source>
        <translation>站点中没有机场 {dock}</translation>
    </message>
    <message>
        <source>dock {dock} cannot go: {why}</source>
        <translation>机场 {dock} 不能派出：{why}</translation>
    </message>
    <message>
        <source>dock online, cover working</source>
        <translation>机场在线，舱盖正常</translation>
    </message>
    <message>
        <source>drone link up, health checks pass</source>
        <translation>无人机链路正常，自检通过</translation>
    </message>
    <message>
        <source>wind {wind_m_s:.1f} m/s ≤ {limit_m_s:g} m/s</source>
        <translation>风速 {wind_m_s:.1f} m/s ≤ {limit_m_s:g} m/s</translation>
    </message>
    <message>
        <source>rainfall {rain} ≤ {limit}</source>
        <translation>降雨等级 {rain} ≤ {limit}</translation>
    </message>
    <message>
        <source>battery {pct:.0f}% ≥ round trip {energy_pct:.0f}% + {reserve_pct:g}% reserve</source>
        <translation>电量 {pct:.0f}% ≥ 往返 {energy_pct:.0f}% + 保留 {reserve_pct:g}%</translation>
    </message>
    <message>
        <source>highest point {top_m:g} m ≤ ceiling {ceiling_m:g} m</source>
        <translation>最高高度 {top_m:g} m ≤ 限高 {ceiling_m:g} m</translation>
    </message>
    <message>
        <source>route clear of no-fly zones</source>
        <translation>航线不进入禁飞区</translation>
    </message>
    <message>
        <source>route clear of no-fly zones, around {zones}</source>
        <translation>航线不进入禁飞区，绕开 {zones}</translation>
    </message>
    <message>
        <source>on a lost link the drone will {action}</source>
        <translation>数据链中断时无人机将{action}</translation>
    </message>
    <message>
        <source>{district} has {ready} ready docks; dispatching automatically would leave fewer than {min_ready}: an operator must confirm</source>
        <translation>{district}仅剩 {ready} 个就绪机场，自动派出后少于 {min_ready} 个，需人工确认</translation>
    </message>
    <message>
        <source>carry on with what it is doing (no link-loss action set)</source>
        <translation>按原任务继续飞行（未设置失联动作）</translation>
    </message>
    <message>
        <source>hold where it is</source>
        <translation>原地悬停</translation>
    </message>
    <message>
        <source>return to its dock</source>
        <translation>返航</translation>
    </message>
    <message>
        <source>land where it is</source>
        <translation>就地降落</translation>
    </message>
    <message>
        <source>terminate flight</source>
        <translation>终止飞行</translation>
    </message>
    <message>
        <source>disarm</source>
        <translation>锁定电机</translation>
    </message>
    <message>
        <source>do what it is configured to (not read yet)</source>
        <translation>执行其自身设置（尚未读取）</translation>
    </message>
    <message>
        <source>the dock is offline</source>
        <translation>机场离线</translation>
    </message>
    <message>
        <source>the dock&apos;s cover has a fault</source>
        <translation>机场舱盖故障</translation>
    </message>
    <message>
        <source>the dock&apos;s cover state is not known</source>
        <translation>机场舱盖状态未知</translation>
    </message>
    <message>
        <source>no link to the drone yet</source>
        <translation>未与无人机建立链路</translation>
    </message>
    <message>
        <source>the link to the drone is lost</source>
        <translation>无人机链路中断</translation>
    </message>
    <message>
        <source>no heartbeat from the drone for {age_s:.1f} s</source>
        <translation>无人机心跳已 {age_s:.1f} 秒未更新</translation>
    </message>
    <message>
        <source>the drone is busy with another flight</source>
        <translation>无人机正在执行其他任务</translation>
    </message>
    <message>
        <source>the drone has not reported whether it is landed</source>
        <translation>无人机着陆状态未知</translation>
    </message>
    <message>
        <source>the drone has not reported its health</source>
        <translation>无人机健康状态未知</translation>
    </message>
    <message>
        <source>the drone&apos;s health checks fail</source>
        <translation>无人机自检未通过</translation>
    </message>
    <message>
        <source>the drone has no 3D GPS fix</source>
        <translation>无人机无三维定位</translation>
    </message>
    <message>
        <source>the wind speed is not known</source>
        <translation>风速未知</translation>
    </message>
    <message>
        <source>wind {wind_m_s:.1f} m/s is over the {limit_m_s:g} m/s limit</source>
        <translation>风速 {wind_m_s:.1f} m/s 超过 {limit_m_s:g} m/s 限值</translation>
    </message>
    <message>
        <source>the rainfall is not known</source>
        <translation>降雨情况未知</translation>
    </message>
    <message>
        <source>rainfall level {rain} is over the limit of {limit}</source>
        <translation>降雨等级 {rain} 超过限值 {limit}</translation>
    </message>
    <message>
        <source>the battery level is not known</source>
        <translation>电池电量未知</translation>
    </message>
    <message>
        <source>battery {pct:.0f}% is below the {min_pct:g}% needed to take off</source>
        <translation>电量 {pct:.0f}% 低于起飞下限 {min_pct:g}%</translation>
    </message>
    <message>
        <source>battery {pct:.0f}% is not enough: the round trip needs {energy_pct:.0f}% plus a {reserve_pct:g}% reserve</source>
        <translation>电量 {pct:.0f}% 不足：往返需 {energy_pct:.0f}%，另需保留 {reserve_pct:g}%</translation>
    </message>
    <message>
        <source>the mission climbs to {top_m:g} m, above the {ceiling_m:g} m ceiling</source>
        <translation>任务高度 {top_m:g} m 超过限高 {ceiling_m:g} m</translation>
    </message>
    <message>
        <source>{distance_km:.1f} km is beyond the drone&apos;s reach (about {reach_km:.1f} km)</source>
        <translation>距离 {distance_km:.1f} km 超出续航范围（约 {reach_km:.1f} km）</translation>
    </message>
    <message>
        <source>the round trip needs {energy_pct:.0f}% plus a {reserve_pct:g}% reserve: more than a full battery</source>
        <translation>往返需 {energy_pct:.0f}% 电量，加保留 {reserve_pct:g}% 超出满电</translation>
    </message>
    <message>
        <source>the drone has no link-loss action (NAV_DLL_ACT 0): it would carry on without the console; the site requires one</source>
        <translation>无人机未设置失联动作（NAV_DLL_ACT 为 0），失联后将脱离控制台继续飞行；本站点要求设置</translation>
    </message>
    <message>
        <source>the drone has no link-loss action (NAV_DLL_ACT 0): on a lost link it would carry on without the console</source>
        <translation>无人机未设置失联动作（NAV_DLL_ACT 为 0），失联后将脱离控制台继续飞行</translation>
    </message>
    <message>
        <source>the drone&apos;s link-loss action has not been read yet; the site requires one</source>
        <translation>尚未读取无人机的失联动作；本站点要求设置</translation>
    </message>
    <message>
        <source>battery {pct:.0f}% is only enough to get home (needs {need_pct:.0f}% + {reserve_pct:.0f}% reserve): returning</source>
        <translation>电量 {pct:.0f}% 仅够返航（需 {need_pct:.0f}% + {reserve_pct:.0f}% 余量），自动返航</translation>
    </message>
    <message>
        <source>dock</source>
        <translation>机场</translation>
    </message>
    <message>
        <source>target</source>
        <translation>目标</translation>
    </message>
    <message>
        <source>standoff point</source>
        <translation>观察点</translation>
    </message>
    <message>
        <source>the {what} is inside or at the edge of no-fly zone {zone} ({zone_id})</source>
        <translation>{what}位于禁飞区「{zone}」内或紧邻其边界</translation>
    </message>
    <message>
        <source>orbit radius cut to {radius_m:.0f} m to keep clear of {zone}</source>
        <translation>为避开禁飞区「{zone}」，环绕半径减至 {radius_m:.0f} m</translation>
    </message>
    <message>
        <source>hovering instead of orbiting to keep clear of {zone}</source>
        <translation>为避开禁飞区「{zone}」，改为悬停观察</translation>
    </message>
    <message>
        <source>the ceiling of {ceiling_m:g} m is below the safe cruise altitude of {min_m:g} m</source>
        <translation>限高 {ceiling_m:g} m 低于安全巡航高度 {min_m:g} m</translation>
    </message>
    <message>
        <source>on-scene altitude lowered to the {alt_m:g} m ceiling</source>
        <translation>观察高度按限高降至 {alt_m:g} m</translation>
    </message>
    <message>
        <source>no route around no-fly zone {zone} ({zone_id})</source>
        <translation>航线无法绕开禁飞区「{zone}」</translation>
    </message>
    <message>
        <source>On-scene look</source>
        <translation>现场观察</translation>
    </message>
    <message>
        <source>{name}: radius {radius_m:g} m, {turns:g} turns, at {alt_m:g} m</source>
        <translation>{name}：半径 {radius_m:g} m，{turns:g} 圈，高度 {alt_m:g} m</translation>
    </message>
    <message>
        <source>{name}: radius {radius_m:g} m, {duration_s:g} s, at {alt_m:g} m</source>
        <translation>{name}：半径 {radius_m:g} m，{duration_s:g} 秒，高度 {alt_m:g} m</translation>
    </message>
    <message>
        <source>{name}: hover {duration_s:g} s, at {alt_m:g} m</source>
        <translation>{name}：悬停 {duration_s:g} 秒，高度 {alt_m:g} m</translation>
    </message>
    <message>
        <source>{name}: hover {duration_s:g} s, {standoff_m:g} m upwind, at {alt_m:g} m</source>
        <translation>{name}：悬停 {duration_s:g} 秒，上风向 {standoff_m:g} m，高度 {alt_m:g} m</translation>
    </message>
    <message>
        <source>aborted before takeoff</source>
        <translation>起飞前中止</translation>
    </message>
    <message>
        <source>internal task error; the drone flies on under its own control</source>
        <translation>任务内部错误，无人机按自身控制继续飞行</translation>
    </message>
    <message>
        <source>the drone is not connected</source>
        <translation>无人机未连接</translation>
    </message>
    <message>
        <source>not airborne within {timeout_s:.0f} s</source>
        <translation>{timeout_s:.0f} 秒内未起飞</translation>
    </message>
    <message>
        <source>link down; the dock reports the drone back in</source>
        <translation>数据链中断，由机场确认无人机已回巢</translation>
    </message>
    <message>
        <source>came home during a link loss; the look was not finished</source>
        <translation>数据链中断期间返航，现场任务未完成</translation>
    </message>
    <message>
        <source>link lost; the drone will {action}</source>
        <translation>数据链中断，无人机将{action}</translation>
    </message>
    <message>
        <source>landed away from the dock at {lat:.5f}, {lon:.5f}; recover it by hand</source>
        <translation>无人机降落在机场外（{lat:.5f}, {lon:.5f}），需人工回收</translation>
    </message>
    <message>
        <source>aborted; the drone is back in its dock</source>
        <translation>任务已中止，无人机已回巢</translation>
    </message>
    <message>
        <source>aborted by operator {by}</source>
        <translation>操作员 {by} 中止任务</translation>
    </message>
    <message>
        <source>landed where it was by operator {by}</source>
        <translation>操作员 {by} 指令就地降落</translation>
    </message>
    <message>
        <source>console restarted before launch; nothing flew</source>
        <translation>控制台重启，任务未起飞即中止</translation>
    </message>
    <message>
        <source>console restarted during launch; the drone never left</source>
        <translation>控制台重启时正在起飞，之后未见起飞</translation>
    </message>
    <message>
        <source>link down: task ended by operator {by}; check the drone by hand</source>
        <translation>数据链中断，操作员 {by} 结束任务，请人工确认无人机状态</translation>
    </message>
    <message>
        <source>the drone of dock {dock} already has an open task</source>
        <translation>机场 {dock} 的无人机已有进行中的任务</translation>
    </message>
    <message>
        <source>emergency stop is active on this drone: re-activate it first</source>
        <translation>该无人机处于急停锁定状态，请先解除锁定</translation>
    </message>
    <message>
        <source>no drone {sysid} on this site</source>
        <translation>站点中没有系统编号为 {sysid} 的无人机</translation>
    </message>
    <message>
        <source>the drone&apos;s link is lost: no command can reach it</source>
        <translation>无人机已失联，指令无法送达</translation>
    </message>
    <message>
        <source>the task is on its way home: it cannot resume</source>
        <translation>任务已在返航，不能继续原任务</translation>
    </message>
    <message>
        <source>position unknown: cannot change altitude</source>
        <translation>位置未知，无法改变高度</translation>
    </message>
    <message>
        <source>no such open task</source>
        <translation>任务不存在或已结束</translation>
    </message>
    <message>
        <source>the drone has no open task</source>
        <translation>该无人机没有进行中的任务</translation>
    </message>
    <message>
        <source>locked, and the hold was accepted</source>
        <translation>已锁定，悬停指令已被接受</translation>
    </message>
    <message>
        <source>locked; the hold was not delivered ({why})</source>
        <translation>已锁定，悬停指令未送达（{why}）</translation>
    </message>
    <message>
        <source>the drone refused the command</source>
        <translation>无人机拒绝执行</translation>
    </message>
    <message>
        <source>refused: the drone has not landed</source>
        <translation>无人机未落地，拒绝执行</translation>
    </message>
    <message>
        <source>refused: landed state unknown</source>
        <translation>着陆状态未知，拒绝执行</translation>
    </message>
    <message>
        <source>the drone did not answer (timeout)</source>
        <translation>无人机无应答（超时）</translation>
    </message>
    <message>
        <source>data link error</source>
        <translation>数据链错误</translation>
    </message>
    <message>
        <source>the drone is busy, try again</source>
        <translation>无人机忙，请稍后再试</translation>
    </message>
    <message>
        <source>the drone does not support this command</source>
        <translation>无人机不支持该指令</translation>
    </message>
    <message>
        <source>parameter error</source>
        <translation>参数错误</translation>
    </message>
    <message>
        <source>invalid command argument</source>
        <translation>指令参数无效</translation>
    </message>
    <message>
        <source>command failed ({result})</source>
        <translation>指令失败（{result}）</translation>
    </message>
    <message>
        <source>{result}: {said}</source>
        <translation>{result}：{said}</translation>
    </message>
    <message>
        <source>dock {dock} is offline; command not sent</source>
        <translation>机场 {dock} 离线，命令未发送</translation>
    </message>
    <message>
        <source>MQTT link down; command not sent</source>
        <translation>与消息服务器的连接中断，命令未发送</translation>
    </message>
    <message>
        <source>dock did not answer in {timeout_s:g} s</source>
        <translation>机场无应答（{timeout_s:g} 秒）</translation>
    </message>
    <message>
        <source>the dock&apos;s answer could not be read</source>
        <translation>机场应答无法识别</translation>
    </message>
    <message>
        <source>the dock refused (code {result})</source>
        <translation>机场拒绝执行（代码 {result}）</translation>
    </message>
    <message>
        <source>the dock refused: {said}</source>
        <translation>机场拒绝执行：{said}</translation>
    </message>
    <message>
        <source>the dock went offline while carrying out the command</source>
        <translation>机场在执行命令期间离线</translation>
    </message>
    <message>
        <source>dock reported offline</source>
        <translation>机场已离线（状态报告）</translation>
    </message>
    <message>
        <source>dock stopped reporting; treated as offline</source>
        <translation>机场无数据上报，视为离线</translation>
    </message>
    <message>
        <source>the site server does not know the request {op}</source>
        <translation>站点服务器不认识请求 {op}</translation>
    </message>
    <message>
        <source>the request reached the site server {seconds} s late and was not carried out</source>
        <translation>请求晚了 {seconds} 秒才到达站点服务器，未执行</translation>
    </message>
    <message>
        <source>the site server stopped while carrying out the request; check the result before trying again</source>
        <translation>站点服务器在执行该请求时停止；请先核实结果再重试</translation>
    </message>
    <message>
        <source>the dispatch names dock {dock} but the operator saw dock {saw}</source>
        <translation>派出指定的是机场 {dock}，但操作员看到的是机场 {saw}</translation>
    </message>
    <message>
        <source>the request claims user {claimed} but came from the account {user}; refused</source>
        <translation>请求声称用户为 {claimed}，但来自账号 {user}；已拒绝</translation>
    </message>
    <message>
        <source>the request {op} came on the topic of another kind of request; refused</source>
        <translation>请求 {op} 发到了其他类别请求的主题上；已拒绝</translation>
    </message>
    <message>
        <source>{op} needs the {needs} role; {user} is {role}</source>
        <translation>{op} 需要 {needs} 角色；{user} 的角色是 {role}</translation>
    </message>
    <message>
        <source>the account {user} is not on this site</source>
        <translation>账号 {user} 不属于本站点</translation>
    </message>
    <message>
        <source>the account {user} is disabled</source>
        <translation>账号 {user} 已停用</translation>
    </message>
    <message>
        <source>the site server did not answer in {seconds} s; the command may not have been carried out</source>
        <translation>站点服务器 {seconds} 秒内未应答；该命令可能未执行</translation>
    </message>
    <message>
        <source>no site server: commands are disabled until it is back</source>
        <translation>无站点服务器：恢复前所有命令不可用</translation>
    </message>
    <message>
        <source>take command authority on dock {dock} first</source>
        <translation>未取得机场 {dock} 的指挥权，请先接管</translation>
    </message>
    <message>
        <source>MQTT link down, authority unchanged</source>
        <translation>与消息服务器的连接中断，指挥权未变更</translation>
    </message>
    <message>
        <source>command authority on dock {dock} is held by {operator} at console {console}; read-only here</source>
        <translation>机场 {dock} 的指挥权由席位 {console} 的 {operator} 持有，本席位只读</translation>
    </message>
    <message>
        <source>command authority on dock {dock} is held by {operator} at console {console}, which is offline (last seen {since}); take it over only if that console is really gone</source>
        <translation>机场 {dock} 的指挥权由席位 {console} 的 {operator} 持有，该席位已离线（最后在线 {since}）；确认该席位已不在后方可接管</translation>
    </message>
    <message>
        <source>the dock has not reported yet</source>
        <translation>机场尚未上报</translation>
    </message>
    <message>
        <source>cover fault</source>
        <translation>舱盖故障</translation>
    </message>
    <message>
        <source>the drone&apos;s link is lost</source>
        <translation>无人机失联</translation>
    </message>
    <message>
        <source>the drone has not reported its state yet</source>
        <translation>无人机状态尚未上报</translation>
    </message>
    <message>
        <source>wind {wind_m_s:.1f} m/s beyond the limit</source>
        <translation>风速 {wind_m_s:.1f} m/s 超限</translation>
    </message>
    <message>
        <source>rain beyond the limit</source>
        <translation>降雨超限</translation>
    </message>
    <message>
        <source>battery not reported yet</source>
        <translation>电量未知</translation>
    </message>
    <message>
        <source>battery {pct:.0f}% below {ready_pct:.0f}% ready</source>
        <translation>电量 {pct:.0f}% 低于就绪线 {ready_pct:.0f}%</translation>
    </message>
    <message>
        <source>battery {pct:.0f}% below {ready_pct:.0f}% ready and the dock is not charging it</source>
        <translation>电量 {pct:.0f}% 低于就绪线 {ready_pct:.0f}%，机场未在充电</translation>
    </message>
</context>
<context>
    <name>Role</name>
    <message>
        <source>viewer</source>
        <extracomment>Every power; a panel whose `set_powers` was never called behaves as if it had all of them. The lowest role that has each power (as in console/core/roles.py, checked by a test). Role names as the operator reads them (context &quot;Role&quot;); the console may use `role_name` for its own texts.</extracomment>
        <translation>观察员</translation>
    </message>
    <message>
        <source>operator</source>
        <translation>值班员</translation>
    </message>
    <message>
        <source>dispatcher</source>
        <translation>调度员</translation>
    </message>
    <message>
        <source>supervisor</source>
        <translation>值班长</translation>
    </message>
    <message>
        <source>admin</source>
        <translation>管理员</translation>
    </message>
</context>
<context>
    <name>ShortcutsDialog</name>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>键盘快捷键</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>按键</translation>
    </message>
    <message>
        <source>Does</source>
        <translation>作用</translation>
    </message>
    <message>
        <source>Where</source>
        <translation>适用范围</translation>
    </message>
</context>
<context>
    <name>SignInDialog</name>
    <message>
        <source>Enter your user name.</source>
        <translation>请输入用户名。</translation>
    </message>
    <message>
        <source>Signing in…</source>
        <translation>正在登录…</translation>
    </message>
    <message>
        <source>Sign in — Qingdao Low-Altitude Command Console</source>
        <translation>登录 — 青岛低空指挥调度台</translation>
    </message>
    <message>
        <source>Sign in</source>
        <translation>登录</translation>
    </message>
    <message>
        <source>Site: %1
Broker: %2</source>
        <translation>站点：%1
消息服务器：%2</translation>
    </message>
    <message>
        <source>&amp;User</source>
        <translation>用户名(&amp;U)</translation>
    </message>
    <message>
        <source>&amp;Password</source>
        <translation>密码(&amp;P)</translation>
    </message>
    <message>
        <source>Your user name</source>
        <translation>您的用户名</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>密码</translation>
    </message>
    <message>
        <source>Sign in (Enter)</source>
        <translation>登录（回车）</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>退出</translation>
    </message>
    <message>
        <source>Close the console without signing in (Esc)</source>
        <translation>不登录，关闭控制台（Esc）</translation>
    </message>
</context>
<context>
    <name>SituationController</name>
    <message>
        <source>Click the map where the drone should fly to (Esc cancels)</source>
        <extracomment>The site server&apos;s operation for each takeover command of the drone panel. Altitude of a go-to when the drone&apos;s own altitude is not known yet (metres above the dock).</extracomment>
        <translation>在地图上点击目标位置（Esc 取消）</translation>
    </message>
</context>
<context>
    <name>SituationFeed</name>
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
        <extracomment>The plots&apos; refresh period: 10 Hz (docs/architecture.md, &quot;Threads&quot;). Time windows offered, in minutes; the first entry that equals DEFAULT is selected. (series name of the SeriesSource, line colour).</extracomment>
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
        <source>Level-%1 alert %2: its cameras are not on the wall</source>
        <translation>%1级告警 %2：其摄像头未上墙</translation>
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
        <extracomment>Why a tile is not live: text, or a function that says it in the current language (a switch calls it again).</extracomment>
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
        <source>the stream cannot be opened</source>
        <translation>无法打开视频流</translation>
    </message>
    <message>
        <source>the stream&apos;s format is not supported</source>
        <translation>不支持该视频流的格式</translation>
    </message>
    <message>
        <source>network error</source>
        <translation>网络错误</translation>
    </message>
    <message>
        <source>access to the stream was denied</source>
        <translation>视频流拒绝访问</translation>
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
