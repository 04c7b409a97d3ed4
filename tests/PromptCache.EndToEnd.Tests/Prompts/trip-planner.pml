<schema name="trip-planner">
    <system>You plan trips. Keep answers short.</system>
    <user>
        <module name="trip">
            I travel for <parameter name="duration" length="5" scaffold="a week"/> with
            <parameter name="party-size" length="3"/> people.
            <union scaffold="city-break">
                <module name="city-break">A city break in <parameter name="city" length="10"/>.</module>
                <module name="road-trip">
                    A road trip.
                    <union>
                        <module name="coast">Along the coast.</module>
                        <module name="mountains">Through the mountains.</module>
                    </union>
                </module>
            </union>
            <module name="extras">
                Extras within <parameter name="budget" length="4"/>.
                <module name="insurance">With travel insurance.</module>
            </module>
        </module>
        <module name="today" cache="false">Today is <parameter name="date" length="8"/>.</module>
    </user>
    <module name="handbook" src="docs/handbook.txt"/>
    <union>
        <module name="formal">Answer formally.</module>
        <module name="casual">Answer casually.</module>
    </union>
</schema>
